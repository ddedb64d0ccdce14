"""The one error path: JSON for the API, a page for a browser, and never a traceback.

Three kinds of failure reach a person. A GridmapError carries its status and its message.
An HTTP error raised by Flask itself (an unknown address, a method the address does not take,
a body over ``MAX_CONTENT_LENGTH``) gets a message in Chinese for its status. Anything else is
a fault of ours: it is logged with its traceback for whoever runs the server, and the person
sees only that something went wrong on our side.
"""

from __future__ import annotations

import re

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from gridmap.core import params
from gridmap.core.errors import GridmapError

INTERNAL = "服务器内部错误，已记录在服务器日志中。请稍后再试；如一再出现，请联系管理员。"
HTTP_MESSAGES = {
    400: "请求格式有误。",
    404: "没有这个地址。",
    405: "此地址不接受 {method} 请求。",
    413: "请求内容过大：最多 {limit} 字节。",
    414: "请求地址过长。",
    431: "请求头过大。",
}
PAGE_MESSAGES = {404: "没有这个页面。"}


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(GridmapError, _render)
    app.register_error_handler(HTTPException, _http)
    app.register_error_handler(Exception, _unexpected)
    # The limits on what a request may carry are checked before routing, so that they hold for
    # every address, and their refusals come back through the handlers above.
    app.before_request(_limits)


# Routes whose bodies may be larger than MAX_CONTENT_LENGTH: a photo, up to PHOTO_MAX_BYTES.
LARGER = {"incidents_api.add_photo": "PHOTO_MAX_BYTES"}
FORM_OVERHEAD = 64 * 1024  # a multipart body's boundaries and headers around the photo


def _limits() -> None:
    params.check_request(request.args)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.endpoint in LARGER:
        limit = int(current_app.config[LARGER[request.endpoint]]) + FORM_OVERHEAD
        request.max_content_length = limit
        request.max_form_memory_size = limit
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge()


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/open311/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _render(error: GridmapError):
    if _wants_json():
        return error.to_dict(), error.status
    return render_template("error.html", message=error.message, details=error.details), error.status


CSRF_REFUSED = (
    "提交被拒绝：页面已过期或来源无法确认（缺少或无效的防伪令牌）。请刷新页面后重试；"
    "接口调用请在 X-CSRFToken 请求头中带上页面给出的令牌。"
)


def _csrf(error: CSRFError):
    if _wants_json():
        return {"error": "csrf", "message": CSRF_REFUSED}, 400
    return render_template("error.html", message=CSRF_REFUSED, details=None), 400


def _http(error: HTTPException):
    if error.code is None or error.code < 400:
        return error  # redirects are answers, not errors
    message = HTTP_MESSAGES.get(error.code, "请求无法处理（HTTP {code}）。").format(
        code=error.code,
        method=request.method,
        limit=request.max_content_length,
    )
    # Keep what the status needs besides its body (Allow on a 405).
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        code = re.sub(r"\W+", "_", (error.name or "error").lower()).strip("_")
        return {"error": code, "message": message}, error.code, headers
    message = PAGE_MESSAGES.get(error.code, message)
    return render_template("error.html", message=message, details=None), error.code, headers


def _unexpected(error: Exception):
    current_app.logger.error(
        "未处理的异常：%s %s", request.method, request.full_path, exc_info=error
    )
    if _wants_json():
        return {"error": "internal", "message": INTERNAL}, 500
    return render_template("error.html", message=INTERNAL, details=None), 500
