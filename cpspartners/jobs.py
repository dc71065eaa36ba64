"""Jobs: work that leaves the request. ``later(job, *args)`` runs one of them.

With ``RQ_REDIS_URL`` set, a job goes on the "cpspartners" queue, and a worker runs it with its
own app: ``rq worker cpspartners --url $CPSPARTNERS_RQ_REDIS_URL``. Without it (or when Redis
does not answer), the job runs in this process once the response has been sent
(``response.call_on_close``): the person gets their answer first, and the answer is the same
whatever the job will find.
"""

from flask import after_this_request, current_app, has_app_context, has_request_context
from flask_babel import lazy_gettext as _l

QUEUE = "cpspartners"


def later(job, *args, timeout=None):
    """Run ``job(*args)`` outside the current request (its arguments must be plain values);
    ``timeout`` (seconds) lets a worker run a long job, such as a large import, to its end."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    redis_url = app.config.get("RQ_REDIS_URL")
    if redis_url:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        try:
            Queue(QUEUE, connection=Redis.from_url(redis_url)).enqueue(job, *args, job_timeout=timeout)
            return
        except RedisError:
            app.logger.exception("Could not queue %s; running it after the response instead", job.__name__)
    if not has_request_context():  # a command: there is no response to wait for
        _run_inline(app, job, args)
        return

    @after_this_request
    def _after_sending(response):
        response.call_on_close(lambda: _run_inline(app, job, args))
        return response


def _run_inline(app, job, args):
    """Run a job in a fresh app context of ``app`` (its own database session); a failure is
    logged, as a worker would, and never reaches the visitor, who already has their answer."""
    with app.app_context():
        try:
            job(*args)
        except Exception:
            app.logger.exception("Job %s failed", job.__name__)


def _in_app(base_url, work, *args):
    """``work(*args)`` in a request context on ``base_url`` (for links in emails): in the current
    app (run inline) or, in an RQ worker, in an app made for the job."""
    if has_app_context():
        with current_app.test_request_context(base_url=base_url):
            return work(*args)
    from cpspartners import create_app

    with create_app().test_request_context(base_url=base_url):
        return work(*args)


def send_reset_link(email, base_url):
    """A reset link to ``email`` if an account has it. The lookup happens here, in the job, so
    the request does the same work for every address."""
    from cpspartners.accounts import emails

    return _in_app(base_url, emails.send_reset_link, email)


def send_confirmation(user_id, base_url):
    """The link that confirms an account's address (a new account, or "send it again")."""
    from cpspartners.accounts import emails

    return _in_app(base_url, emails.send_confirmation, user_id)


def send_registration_email(user_id, created, base_url):
    """After a registration: the confirmation link, or "you already have an account"."""
    from cpspartners.accounts import emails

    return _in_app(base_url, emails.send_registration_email, user_id, created)


def send_second_factor_reset(user_id, base_url):
    """ "An administrator reset your second sign-in step", to the account's owner."""
    from cpspartners.accounts import emails

    return _in_app(base_url, emails.send_second_factor_reset, user_id)


def send_subscription_confirmation(subscriber_id, base_url):
    """The link that confirms a family's newsletter subscription, unless it is confirmed already."""
    from cpspartners.services import newsletter_delivery

    return _in_app(base_url, newsletter_delivery.send_confirmation, subscriber_id)


def send_licence_confirmation(request_id, base_url):
    """The link that confirms a family's licence request, unless it is confirmed already."""
    from cpspartners.services import licences

    return _in_app(base_url, licences.send_confirmation, request_id)


def send_licence_notice(request_id, base_url):
    """The distributor's answer to a licence request: how to start and when it expires."""
    from cpspartners.models import LicenceRequest
    from cpspartners.services import licences

    def notice(ident):
        from cpspartners.extensions import db

        req = db.session.get(LicenceRequest, ident)
        return licences.notice_for(req) if req is not None else None

    return _in_app(base_url, notice, request_id)


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


def check_import(user_id, token, what, filename, upload_dir, locale):
    """The dry run of a large upload, in the uploader's language; its page shows the report."""
    from flask_babel import force_locale

    from cpspartners.transfers import checks

    def work():
        with force_locale(locale):
            return checks.check(upload_dir, user_id, token, what, filename)

    if has_app_context():
        return work()
    from cpspartners import create_app

    with create_app().app_context():
        return work()


def run_import(run_id, upload_dir):
    """A spreadsheet import in the background; its page shows the run's progress."""
    if has_app_context():
        return _import_here(run_id, upload_dir)
    from cpspartners import create_app

    with create_app().app_context():
        return _import_here(run_id, upload_dir)


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


def send_seat_given(assignment_ids, base_url):
    """Tell the new holders of these seats that they have one and how to use it (their language)."""
    from cpspartners.services import pool_reminders

    return _in_app(base_url, pool_reminders.send_seat_given, list(assignment_ids))
