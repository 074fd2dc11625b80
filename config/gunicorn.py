"""gunicorn's configuration: ``gunicorn -c python:config.gunicorn config.wsgi``.

The access log records method, path, status, size and time, never the query
string (search terms, filters, anything a client put there) nor the referer
(which carries the previous page's query). Secret-bearing path segments
(Django's password-reset links, should they ever be served) are blanked.
"""

from gunicorn.glogging import Logger

from config.logging import redact_path

accesslog = "-"
# Client address as gunicorn sees it (the proxy, behind one): the application
# itself logs nothing per request, so this line is the request record.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


class AccessLogger(Logger):
    """gunicorn's logger, with the atoms that could carry a secret reduced to safe values.

    Whatever ``access_log_format`` an operator chooses, ``%(r)s`` (the request
    line) loses its query, ``%(q)s`` is empty, ``%(f)s`` (the referer) keeps
    only its path, and request headers (``%({authorization}i)s``, cookies) are
    left out.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO"))
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        referer = environ.get("HTTP_REFERER")
        atoms["f"] = redact_path(referer.split("?", 1)[0].split("#", 1)[0]) if referer else "-"
        for key in [k for k in atoms if k.endswith("}i")]:
            del atoms[key]
        return atoms


logger_class = AccessLogger
