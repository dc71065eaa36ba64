"""RQ jobs. A worker runs them with its own app: ``rq worker cpspartners --url $CPSPARTNERS_RQ_REDIS_URL``."""


def send_newsletter(newsletter_id):
    from . import create_app
    from .extensions import db
    from .models import Newsletter
    from .services import newsletter_delivery

    app = create_app()
    with app.app_context():
        newsletter = db.session.get(Newsletter, newsletter_id)
        if newsletter is None or newsletter.status == "sent":
            return 0
        return newsletter_delivery.send(newsletter)
