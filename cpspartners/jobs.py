"""RQ jobs. A worker runs them with its own app: ``rq worker cpspartners --url $CPSPARTNERS_RQ_REDIS_URL``."""


def send_newsletter(newsletter_id):
    from cpspartners import create_app
    from cpspartners.extensions import db
    from cpspartners.models import Newsletter
    from cpspartners.services import newsletter_delivery
    from cpspartners.services.newsletters import NewsletterError

    app = create_app()
    with app.app_context():
        newsletter = db.session.get(Newsletter, newsletter_id)
        if newsletter is None:
            return 0
        try:
            return newsletter_delivery.send(newsletter)
        except NewsletterError:  # already sent, or another run (the cron command) is sending it
            return 0
