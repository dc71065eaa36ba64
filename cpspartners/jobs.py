"""RQ jobs. A worker runs them with its own app: ``rq worker cpspartners --url $CPSPARTNERS_RQ_REDIS_URL``.

Without ``RQ_REDIS_URL`` (the default) ``enqueue`` runs the job at once, in the caller's app.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l


def enqueue(name, *args, timeout=3600):
    """Run the job ``name`` (a function here) on the RQ worker, or inline when there is none."""
    redis_url = current_app.config.get("RQ_REDIS_URL")
    if not redis_url:
        INLINE[name](*args)
        return "done"
    from redis import Redis
    from rq import Queue

    Queue("cpspartners", connection=Redis.from_url(redis_url)).enqueue(
        "cpspartners.jobs." + name, *args, job_timeout=timeout
    )
    return "queued"


def _import_here(run_id, upload_dir):
    from cpspartners.extensions import db
    from cpspartners.models import ImportRun
    from cpspartners.services import imports
    from cpspartners.transfers import uploads

    run = db.session.get(ImportRun, run_id)
    if run is None or run.state != "queued":
        return
    raw = uploads.load(upload_dir, run.actor_id or 0, run.token)
    if raw is None:
        imports.failed(run, str(_l("The uploaded file is gone. Upload it again.")))
        return
    imports.execute(run, raw)
    uploads.discard(upload_dir, run.actor_id or 0, run.token)


def run_import(run_id, upload_dir):
    """A spreadsheet import in the background; its page shows the run's progress."""
    from cpspartners import create_app

    app = create_app()
    with app.app_context():
        _import_here(run_id, upload_dir)


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


INLINE = {"run_import": _import_here}
