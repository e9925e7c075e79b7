"""gunicorn settings of the Procfile's web process (`gunicorn -c mopsync/gunicorn.conf.py`).

The access log prints each request line, and the private calendar feed's token is in
its path: `mopsync.logs.GunicornLogger` redacts it (and any credential) from every line.
"""

logger_class = "mopsync.logs.GunicornLogger"
accesslog = "-"
