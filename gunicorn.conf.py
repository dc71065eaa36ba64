"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app`` (docs/deploy.md).

gunicorn also reads this file when it is started in this folder without ``-c`` (bench/search.py
does). A flag on the command line, or in ``GUNICORN_CMD_ARGS``, wins over a value here.
"""

import os


def _cores():
    """CPUs this process may run on: a container's or taskset's limit, not the whole host's."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


# Behind a reverse proxy on the same machine, which terminates TLS (docs/deploy.md, "TLS").
bind = "127.0.0.1:8000"
# The proxy starts each connection with a PROXY protocol v1 line naming the visitor's address,
# which gunicorn puts in REMOTE_ADDR. Without it every request would come from the proxy's
# address, and the per-address limits on sign-in, registration and password resets would count
# all visitors together. Only 127.0.0.1 may send the line (proxy_allow_ips, gunicorn's default);
# a connection that starts without one is read as plain HTTP, so local checks still work.
proxy_protocol = "v1"

# Sync workers, one request at a time each: gunicorn's rule of thumb, two per core plus one, so
# a core has work while another worker waits on the database or SMTP. Each worker keeps its own
# search reader and recommendation candidates (a few hundred MB at 100,000 listings), so on a
# small-memory machine set WEB_CONCURRENCY lower; gunicorn reads that variable for its default.
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cores() + 1))


def pre_fork(server, worker):
    """Tell each worker how many serve with it (CPSPARTNERS_WORKERS, read into the app's config),
    whatever set the count: this file, WEB_CONCURRENCY, -w, or TTIN/TTOU signals since. With more
    than one, the app refuses rate-limit counters in memory, which each worker keeps alone
    (cpspartners/security.py, check_rate_limit_storage)."""
    os.environ["CPSPARTNERS_WORKERS"] = str(max(server.num_workers, server.cfg.workers))


# The slowest pages are the specialists' full CSV exports: 6-10 s at 20,000 listings on two
# shared cores, growing with the directory to an estimated 30-50 s at 100,000
# (docs/benchmarks.md). gunicorn's default of 30 s would kill them; 60 s lets them finish and
# still stops a stuck worker within a minute.
timeout = 60
# On a restart (kill -HUP, a deploy) a worker may finish the request in hand for as long.
graceful_timeout = 60

# Recycle each worker after 50,000 to 75,000 requests: any slow growth of a long-lived process
# is bounded, and the wide jitter keeps the workers from restarting at the same moment. A new
# worker warms itself before it takes a request (post_worker_init below), so no visitor pays for
# opening the index or loading the "For you" candidates; but the warming costs about 10 s of CPU
# at 100,000 listings. With 5,000 requests (the earlier setting) a worker serving kept pages at
# 120 requests/s was recycled every 40 s, and when all five warmed at once on two cores the site
# answered nothing for several seconds (docs/benchmarks.md). At 70 requests/s shared by five
# workers, 50,000 requests is over an hour.
max_requests = 50000
max_requests_jitter = 25000


def post_worker_init(worker):
    """Before the worker's first request: open the search index and fill its caches, read what the
    home and areas pages keep, and build the recommendation candidates
    (cpspartners/directory/listing.py, ``warm``). A failure is logged and the worker serves
    anyway: each of those is built again on the first request that needs it.

    Then everything made so far (the app, the index's caches, the candidates: about 575,000
    objects at 100,000 listings) is moved out of the garbage collector's sight (``gc.freeze``):
    they live as long as the worker. Each full collection had walked them all, 340 ms with the
    worker serving nothing meanwhile, and one came every couple of thousand requests; after
    the freeze a full collection took under 5 ms (docs/benchmarks.md, "Sign-ins, translations, highlighting,
    garbage collection")."""
    import gc

    from cpspartners.directory.listing import warm

    try:
        warm(worker.wsgi)
    except Exception:
        worker.log.exception("Warming the worker failed; it will fill its caches on demand")
    gc.collect()  # what warming left behind is freed first, not frozen with the rest
    gc.freeze()


# Not preloaded: each worker imports and builds the app after the fork. Then `kill -HUP`
# (`systemctl reload`) starts new workers on the code now on disk and retires the old ones
# gracefully; with preload_app they would fork from the master's old copy, and a deploy would
# need a full restart. Preloading would save little: what takes memory (database pools, the
# search reader, the recommendation candidates) is built in each worker after the fork either
# way. Measured with 2 workers on the demo directory, preloading saved about 17 MB a worker and
# grew the master from 13 to 69 MB (proportional set size).
# A bad setting (the default SECRET_KEY) still stops the server: the workers fail to boot and
# gunicorn exits with status 3.
preload_app = False

# Logs to standard output and error, for systemd's journal (or the container's log).
accesslog = "-"
errorlog = "-"
# gunicorn's default format plus the time taken, in seconds (%(L)s), and the request id the app
# sent back (the proxy's X-Request-ID when it sent one), which the app's own log lines carry too.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(L)s %({x-request-id}o)s'
