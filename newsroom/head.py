"""HEAD answers carry the headers a GET would get, Content-Length included, and no body.

Views answer HEAD as GET; servers drop the body, and gunicorn warns each time it has to. First in
MIDDLEWARE, so it also covers /healthz and pages from the page cache, which are answered before any view.
"""


class HeadMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD":
            # Emptied in place: a new response would lose Django's mark that it was logged, and log a 4xx twice.
            if response.streaming:
                response.streaming_content = []
            else:
                response.content = b""
        return response
