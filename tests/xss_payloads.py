"""Cross-site scripting payloads of our own writing, for tests/e2e/test_xss_sweep.py.

Each names itself if it runs: `alert(<id>)` or `window.__xss = <id>` (`parent.__xss` from a frame); `§` in a
template below stands for the id. Most run on load in Chromium wherever a page renders them raw (the sweep's
self-test checks each one does); the others are marked with what they need: a click or hover (`_Interaction`),
another browser or an older one (`_Legacy`), a filter's help (`_Mutation`), or a decoding or template engine that
turns text into markup (`_Dormant`). Every one but the dormant is caught by the sweep's markup checks when raw.
"""

import base64
import re
from dataclasses import dataclass

ID = "§"
_BASE64 = re.compile("\u27e6(.*?)\u27e7", re.S)


def _b64(text: str) -> str:
    """Marks text to be base64-encoded once the payload's id is in it."""
    return f"\u27e6{text}\u27e7"


def _make(template: str, number: int) -> str:
    text = template.replace(ID, str(number))
    return _BASE64.sub(lambda found: base64.b64encode(found.group(1).encode()).decode(), text)


class _Dormant(str):
    """Runs only once something decodes or evaluates it (a template engine, a second HTML decoding, Unicode
    normalisation): rendered raw, it is harmless text."""


class _Interaction(str):
    """Runs when the reader clicks or hovers, or through the page around it (a `<base>` its relative links use)."""


class _Legacy(str):
    """Ran in browsers of old or runs in others (CSS `expression()`, `javascript:` in a refresh); Chromium refuses."""


class _Mutation(str):
    """Armed by a filter's help: a naive one that deletes `<script>`, or a sanitiser whose output the browser
    reparses differently (mutation XSS)."""


# fmt: off
_TEMPLATES = [
    # <script>, in every spelling a filter might miss.
    "<script>alert(§)</script>",
    "<SCRIPT>alert(§)</SCRIPT>",
    "<ScRiPt>window.__xss=§</sCrIpT>",
    _Mutation("<scr<script>ipt>alert(§)</scr</script>ipt>"),
    _Mutation("<<script>script>alert(§)<</script>/script>"),
    "<script>window.__xss=§//",
    "<script/any>alert(§)</script>",
    "<script\n>alert(§)</script\n>",
    "<script type=module>window.__xss=§</script>",
    "<script>//<![CDATA[\nalert(§)//]]></script>",
    "<script src=\"data:text/javascript,window.__xss=§\"></script>",
    "<script src=data:,alert(§)></script>",
    "<svg><script>alert(§)</script></svg>",
    "<svg><script href=\"data:text/javascript,alert(§)\"/></svg>",
    "<script\tsrc=\"data:text/javascript;base64," + _b64("window.__xss=§") + "\"></script>",
    # Event handlers that fire by themselves.
    "<img src=x onerror=alert(§)>",
    "<IMG SRC=x OnErRoR=window.__xss=§>",
    "<img src=x onerror=\"window.__xss=§\">",
    "<img src=x onerror='alert(§)'>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(§)>",
    r"<img src=x onerror=\u0061lert(§)>",
    "<img/src=\"x\"/onerror=alert(§)>",
    "<img src=x\nonerror=alert(§)>",
    "<img\x0csrc=x\x0conerror=alert(§)>",
    "<img src onerror=window.__xss=§>",
    "<image src=x onerror=alert(§)>",
    "<img src=x onerror=eval('al'+'ert(§)')>",
    "<img src=x onerror=alert(§)//",
    "<img src=x onerror=alert(§) title=\"",
    "<svg onload=alert(§)>",
    "<svg/onload=window.__xss=§>",
    "<body onload=alert(§)>",
    "<body onpageshow=window.__xss=§>",
    "<details open ontoggle=alert(§)>",
    "<details/open/ontoggle=\"window.__xss=§\"><summary>x</summary></details>",
    "<input autofocus onfocus=alert(§)>",
    "<select autofocus onfocus=window.__xss=§></select>",
    "<textarea autofocus onfocus=alert(§)></textarea>",
    "<div tabindex=0 autofocus onfocus=window.__xss=§>x</div>",
    "<video><source onerror=alert(§)></video>",
    "<audio src=x onerror=window.__xss=§>",
    "<video src=x onerror=alert(§)></video>",
    "<iframe onload=alert(§)></iframe>",
    "<object data=x onerror=window.__xss=§></object>",
    "<style onload=alert(§)></style>",
    "<link rel=stylesheet href=x onerror=window.__xss=§>",
    _Legacy("<marquee onstart=alert(§)>x</marquee>"),
    "<svg><animate onbegin=alert(§) attributeName=x dur=1s>",
    "<svg><set onbegin=window.__xss=§ attributeName=x to=1>",
    "<input type=image src=x onerror=alert(§)>",
    "<svg><image href=x onerror=window.__xss=§></svg>",
    "<style>@keyframes x{}</style><div style=animation-name:x onanimationstart=alert(§)></div>",
    _Interaction("<x onclick=alert(§)>click me</x>"),
    _Interaction("<p onmouseover=window.__xss=§>hover</p>"),
    # javascript: and data: addresses, plainly and disguised.
    _Interaction("<a href=\"javascript:alert(§)\">read more</a>"),
    _Interaction("<a href=\"JaVaScRiPt:window.__xss=§\">read more</a>"),
    _Interaction("<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(§)\">read more</a>"),
    _Interaction("<a href=\"&#x6A;avascript&colon;window.__xss=§\">read more</a>"),
    _Interaction("<a href=\"java\tscript:alert(§)\">read more</a>"),
    _Interaction("<a href=\"java&#x09;script:alert(§)\">read more</a>"),
    _Interaction("<a href=\"jav&#x0A;ascript:window.__xss=§\">read more</a>"),
    _Interaction("<a href=\" \x01javascript:alert(§)\">read more</a>"),
    _Interaction("<a href=\"javascript:alert&lpar;§&rpar;\">read more</a>"),
    _Interaction("<a href=\"javascript:%61lert(§)\">read more</a>"),
    _Interaction("<a href=javascript&colon;alert(§)>read more</a>"),
    _Interaction("<a href=\"data:text/html,<script>alert(§)</script>\">read more</a>"),
    _Interaction("<a href=\"data:text/html;base64," + _b64("<script>alert(§)</script>") + "\">read more</a>"),
    "<iframe src=\"javascript:alert(§)\"></iframe>",
    "<iframe src=\"javascript:parent.__xss=§\"></iframe>",
    "<iframe src=\"data:text/html,<script>alert(§)</script>\"></iframe>",
    "<iframe src=\"data:text/html;base64," + _b64("<svg onload=alert(§)>") + "\"></iframe>",
    "<iframe srcdoc=\"<script>parent.__xss=§</script>\"></iframe>",
    "<iframe srcdoc=\"&lt;img src=x onerror=parent.__xss=§&gt;\"></iframe>",
    _Legacy("<object data=\"javascript:alert(§)\"></object>"),
    "<object data=\"data:text/html,<script>alert(§)</script>\"></object>",
    _Legacy("<embed src=\"javascript:alert(§)\">"),
    "<embed src=\"data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' onload='alert(§)'/>\">",
    _Legacy("<img src=\"data:image/svg+xml;base64,"
            + _b64("<svg xmlns='http://www.w3.org/2000/svg' onload='alert(§)'/>") + "\">"),
    _Interaction("<form><button formaction=javascript:alert(§)>Send</button></form>"),
    _Interaction("<form action=\"javascript:window.__xss=§\"><input type=submit></form>"),
    _Interaction("<svg><a xlink:href=\"javascript:alert(§)\"><text x=0 y=20>read more</text></a></svg>"),
    _Interaction("<svg><a><animate attributeName=href values=javascript:alert(§) /><text y=20>more</text></a></svg>"),
    _Interaction("<math href=\"javascript:alert(§)\">read more</math>"),
    _Legacy("<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(§)\">"),
    _Legacy("<meta http-equiv=refresh content=\"0; url=data:text/html;base64,"
            + _b64("<script>alert(§)</script>") + "\">"),
    _Interaction("<base href=\"javascript:alert(§)//\">"),
    _Interaction("<base href=\"https://xss§.invalid/\">"),
    # SVG and MathML: foreign content, where <style> and <title> hold markup.
    "<svg><style><img src=x onerror=alert(§)></style></svg>",
    "<svg><title><img src=x onerror=window.__xss=§></title></svg>",
    "<svg><foreignObject><img src=x onerror=alert(§)></foreignObject></svg>",
    _Mutation("<svg><desc><![CDATA[</desc><script>alert(§)</script>]]></svg>"),
    _Mutation("<math><mtext><table><mglyph><style><img src=x onerror=alert(§)>"),
    _Interaction("<math><mi xlink:href=\"javascript:alert(§)\">read more</mi></math>"),
    "<noscript><p title=\"</noscript><img src=x onerror=window.__xss=§>\">",
    "<svg></p><style><a id=\"</style><img src=x onerror=alert(§)>\">",
    _Mutation("<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(§)>"),
    "<svg><![CDATA[><image xlink:href=\"]]><img src=x onerror=alert(§)//\"></svg>",
    # CSS.
    _Legacy("<div style=\"background:url(javascript:alert(§))\">x</div>"),
    _Legacy("<div style=\"width:expression(alert(§))\">x</div>"),
    _Legacy("<p style=\"x:expr/**/ession(window.__xss=§)\">x</p>"),
    _Legacy("<style>@import 'javascript:alert(§)';</style>"),
    _Legacy("<style>*{background:url(\"javascript:window.__xss=§\")}</style>"),
    _Legacy("<link rel=stylesheet href=\"data:text/css,*{background:url(javascript:alert(§))}\">"),
    "</style><img src=x onerror=alert(§)>",
    # Template languages, on the server and in the browser (dormant: they need a template engine to run them).
    _Dormant("{{7*7777777}} {% debug %} {{settings.SECRET_KEY}}"),
    _Dormant("${alert(§)}"),
    _Dormant("#{alert(§)}"),
    _Dormant("{{constructor.constructor('alert(§)')()}}"),
    _Dormant("{{$on.constructor('window.__xss=§')()}}"),
    _Dormant("<%= alert(§) %> [[${alert(§)}]] *{alert(§)}"),
    _Dormant("{% load log %}{% get_admin_log 10 as log %}{{log}}"),
    _Dormant("<div ng-app>{{constructor.constructor('window.__xss=§')()}}</div>"),
    # Breaking out of attributes, text areas, titles, comments and script blocks.
    "\"><script>alert(§)</script>",
    "'><script>alert(§)</script>",
    "\"><img src=x onerror=window.__xss=§>",
    "\" autofocus onfocus=\"alert(§)",
    "' autofocus onfocus='window.__xss=§",
    _Interaction("\" onmouseover=\"alert(§)\" x=\""),
    "'--></style></script><script>alert(§)</script>",
    "--><script>alert(§)</script><!--",
    "<!--<img src=\"--><img src=x onerror=alert(§)//\">",
    "</textarea><script>alert(§)</script>",
    "</title><script>window.__xss=§</script>",
    "</noscript><script>alert(§)</script>",
    "</option></select><img src=x onerror=alert(§)>",
    "</iframe><script>alert(§)</script>",
    "</xmp><script>alert(§)</script>",
    "<![CDATA[><script>alert(§)</script>]]>",
    "<?xml version=\"1.0\"?><script>alert(§)</script>",
    # Out of the page's JSON-LD block.
    "</script><script>alert(§)</script>",
    "</SCRIPT><script>window.__xss=§</script>",
    "</script ><svg onload=alert(§)>",
    "\"}]}</script><script>alert(§)</script>",
    "\\\"</script><script>window.__xss=§</script>",
    "<!--<script>--><script>alert(§)</script>",
    "\u2028\u2029</script><script>alert(§)</script>",
    # Newlines, control characters and NUL.
    "<img src=x\r\nonerror=alert(§)>",
    "\r\n<script>alert(§)</script>",
    "<img src=x\x00 onerror=alert(§)>",
    _Dormant("<scr\x00ipt>alert(§)</scr\x00ipt>"),  # armed by a filter that drops NUL
    "\x0b<svg onload=alert(§)>\x0c",
    "\x1b[31m<script>alert(§)</script>\x7f",
    "%0d%0a<script>alert(§)</script>",
    # Escaped once already, percent- or JS-escaped, or in full-width letters (dormant: a second decoding, or a
    # Unicode normalisation, would arm them).
    _Dormant("&lt;script&gt;alert(§)&lt;/script&gt;"),
    _Dormant("&#60;img src=x onerror=alert(§)&#62;"),
    _Dormant("%3Cscript%3Ealert(§)%3C/script%3E"),
    _Dormant(r"\x3cscript\x3ealert(§)\x3c/script\x3e"),
    _Dormant(r"\u003cimg src=x onerror=alert(§)\u003e"),
    _Dormant("\uff1cscript\uff1ealert(§)\uff1c/script\uff1e"),
    # Polyglots: one string for several contexts at once.
    "'\"--></style></title></textarea></script><svg/onload=alert(§)>",
    "javascript:/*</title></style></textarea></script></xmp>*/alert(§)//<svg/onload=alert(§)>",
    "\"'><img src=x onerror=window.__xss=§>{{7*7777777}}${7*7777777}<!--",
    "javascript:alert(§)//\"'></a></title></textarea></style></script><img src=x onerror=alert(§)>",
    "';window.__xss=§;//\"--></script></style><svg onload=window.__xss=§>",
]
# fmt: on


@dataclass(frozen=True)
class Payload:
    id: int
    text: str
    kind: str = "runs"  # on load, in Chromium, wherever it is rendered raw

    @property
    def dormant(self) -> bool:
        return self.kind == "dormant"

    @property
    def has_nul(self) -> bool:
        """Django's forms refuse NUL in any text field: such a payload is refused, never stored."""
        return "\x00" in self.text


_KINDS = {_Dormant: "dormant", _Interaction: "interaction", _Legacy: "legacy", _Mutation: "mutation"}
PAYLOADS = [
    Payload(number, _make(template, number), kind=_KINDS.get(type(template), "runs"))
    for number, template in enumerate(_TEMPLATES, start=1)
]
STORABLE = [payload for payload in PAYLOADS if not payload.has_nul]

# What a template payload shows if some code rendered it as a template instead of as text (7 × 7777777, the
# context `{% debug %}` prints, the admin log `{{log}}` prints).
TEMPLATE_TELLTALES = ["54444439", "'True': True", "LogEntry object"]
