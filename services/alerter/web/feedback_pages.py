"""The tiny HTML pages behind an alert's "False alarm" link. Pure.

Everything shown is escaped; no scripts, no external assets. Opening the link only
shows the question: a link preview or a mail scanner that follows it records nothing,
the officer's click on the button (a POST) does.
"""

import html

from fastapi.responses import HTMLResponse

# The token sits in the URL: no referrer leaks it, no frame hides the button, nothing caches it.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}"
    "button{font-size:1.1em;padding:.4em 1.2em}textarea{width:100%}.q{color:#555}"
)


def page(title: str, body_html: str, status: int = 200) -> HTMLResponse:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body_html}</body></html>"
    )
    return HTMLResponse(document, status_code=status, headers=HEADERS)


def confirm(tag: str, headline: str) -> HTMLResponse:
    e = html.escape
    shown = f'<p class="q">{e(headline)}</p>' if headline else ""
    return page(
        "Report a false alarm?",
        f"{shown}<p>newswatch tagged this alert <b>{e(tag)}</b>. If it is not about {e(tag)}, "
        "say so: reviewed reports teach the classifier.</p>"
        # No action: the form posts back to this very URL, token included.
        '<form method="post"><p><label>Comment (optional)<br>'
        '<textarea name="comment" rows="3" maxlength="1000"></textarea></label></p>'
        f'<p><button type="submit">Not {e(tag)}: false alarm</button></p></form>',
    )


def recorded(tag: str, new: bool) -> HTMLResponse:
    e = html.escape
    if new:
        text = f"<p>Recorded: this alert is not <b>{e(tag)}</b>.</p>"
        return page("Thank you", text, 201)
    text = f"<p>This false alarm ({e(tag)}) was reported before.</p>"
    return page("Already recorded", text)


def refused(message: str, status: int) -> HTMLResponse:
    return page("This link cannot be used", f"<p>{html.escape(message)}</p>", status)
