# The newsroom's public pages, kept until the app purges them by the keys of what they show, and nothing
# personal ever kept.
#
# Only what the app marks public is kept: a response with an `xkey` header (the keys of what it shows), no
# Set-Cookie and a Cache-Control that allows it, for as long as its s-maxage says (PROXY_CACHE_SECONDS, ending
# by the next scheduled story). Every committed change sends `PURGE /` with `xkey-purge: <keys>`
# (newsroom/purging.py), which drops every page showing any of them, grace copies included.
#
# backends.vcl (from backends.vcl.example) defines the director `app_servers` and the ACL `purgers`.

vcl 4.1;

import std;
import xkey;

include "backends.vcl";

sub vcl_recv {
    set req.backend_hint = app_servers.backend();
    # The scheme is the TLS terminator's to say, in X-Forwarded-Proto alone (gunicorn trusts nothing else, and the
    # pages are kept per X-Forwarded-Proto): a client's claim in another header would poison the copy all share.
    unset req.http.X-Forwarded-Ssl;
    unset req.http.X-Forwarded-Protocol;
    unset req.http.X-Forwarded-Scheme;
    unset req.http.X-Url-Scheme;
    unset req.http.Front-End-Https;
    unset req.http.Forwarded;
    unset req.http.SCRIPT_NAME;
    unset req.http.PATH_INFO;
    # One id a request, from the load balancer in front or ours, passed to the app and sent back (newsroom/request_id.py).
    if (!req.http.X-Request-ID) {
        set req.http.X-Request-ID = "varnish-" + req.xid;
    }

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "PURGE needs an xkey-purge header"));
        }
        set req.http.purged = xkey.purge(req.http.xkey-purge);
        return (synth(200, "Purged"));
    }

    # Forms, the back office, previews and signed-in staff (a session, or messages after an action): never kept.
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/admin(/|\?|$)" || req.url ~ "^/preview/") {
        return (pass);
    }
    if (req.http.Cookie ~ "(^|;)\s*(sessionid|messages)=") {
        return (pass);
    }
    # Email links (personal, never kept) keep their query (`?edition=`) for the app.
    if (req.url ~ "^/newsletter/(confirm|unsubscribe|preferences)/") {
        return (pass);
    }
    if (req.url ~ "\?") {
        call keep_query_a_page_reads;
    }
    # Readers' pages are the same for every reader: no cookie of theirs (csrftoken, analytics) splits the cache.
    unset req.http.Cookie;
    # Varnish's own rules follow (vcl_builtin_recv): no Host, Authorization.
}

# Only the query parameters a page reads reach the app and the cache, as the app keys its own cache
# (newsroom/public_cache.py: `cache_query` on a view, `reads_query` on a function): search reads q, sort and page,
# the lists (section, tag, author, quotes, newsletter archive) page, the sitemaps p, every other page none. Each
# is kept once (the last, as the app reads it), in order of name, so tracking and junk parameters share the copy
# without them. A page number or order spelt oddly (`?page=01`) goes to the app and is not kept.
sub keep_query_a_page_reads {
    if (req.url ~ "^/search/?\?") {
        set req.url = regsuball(req.url, "(?<=[?&])(?!(?:q|sort|page)=)[^&]*(?:&|$)", "");
        set req.url = regsuball(req.url, "(?<=[?&])(q|sort|page)=[^&]*&(?=(?:.*&)?\1=)", "");
    } elsif (req.url ~ "^/(sections|tags|authors|quotes)/[^/?]+/?\?" ||
             req.url ~ "^/newsletter/[^/?]+/archive/?\?") {
        set req.url = regsuball(req.url, "(?<=[?&])(?!page=)[^&]*(?:&|$)", "");
        set req.url = regsuball(req.url, "(?<=[?&])page=[^&]*&(?=(?:.*&)?page=)", "");
    } elsif (req.url ~ "^/sitemap-[^/?]+\.xml\?") {
        set req.url = regsuball(req.url, "(?<=[?&])(?!p=)[^&]*(?:&|$)", "");
        set req.url = regsuball(req.url, "(?<=[?&])p=[^&]*&(?=(?:.*&)?p=)", "");
    } else {
        set req.url = regsub(req.url, "\?.*$", "");
    }
    set req.url = regsub(std.querysort(req.url), "[?&]+$", "");
    if (req.url ~ "[?&]page=(?!(?:[1-9][0-9]{0,5}|last)(?:&|$))" ||
        req.url ~ "[?&]p=(?![1-9][0-9]{0,5}(?:&|$))" ||
        req.url ~ "[?&]sort=(?!(?:newest|relevance)(?:&|$))") {
        return (pass);
    }
}

sub vcl_hash {
    # The app makes a page for each scheme it is asked in, as a TLS terminator in front says.
    hash_data(req.http.X-Forwarded-Proto);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (!beresp.http.xkey ||
        beresp.http.Set-Cookie ||
        beresp.http.Cache-Control ~ "(?i)private|no-cache|no-store" ||
        beresp.ttl <= 0s) {
        # Not public, or not for now (a copy from before a change, a page that changed while made). For a while,
        # requests for it go straight to the app, without waiting for each other; a public answer is kept at once.
        set beresp.ttl = 10s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Kept for its s-maxage (else max-age), and served stale for its stale-while-revalidate: Varnish's defaults.
    # Its TTL is set by now, so what is kept can go without s-maxage, which is ours alone: a CDN or browser beyond
    # us hears of no purge. Done once here rather than on every hit.
    if (beresp.http.Cache-Control ~ "(?i)s-maxage") {
        set beresp.http.Cache-Control = regsuball(beresp.http.Cache-Control, "(?i)\s*,?\s*s-maxage=[0-9]+", "");
        set beresp.http.Cache-Control = regsub(beresp.http.Cache-Control, "^\s*,\s*", "");
    }
    # A kept page is answered to many requests: the id of the one that fetched it is not theirs.
    unset beresp.http.X-Request-ID;
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for us (and for whoever may purge, when they ask with xkey-debug).
    if (!(req.http.xkey-debug && client.ip ~ purgers)) {
        unset resp.http.xkey;
    }
    # A page not kept (passed) went out with s-maxage too: strip it there as well.
    if (obj.uncacheable && resp.http.Cache-Control ~ "(?i)s-maxage") {
        set resp.http.Cache-Control = regsuball(resp.http.Cache-Control, "(?i)\s*,?\s*s-maxage=[0-9]+", "");
        set resp.http.Cache-Control = regsub(resp.http.Cache-Control, "^\s*,\s*", "");
    }
    # Each answer carries its own request's id (the app logged it for a miss or a pass).
    set resp.http.X-Request-ID = req.http.X-Request-ID;
}

sub vcl_synth {
    if (req.method == "PURGE") {
        set resp.http.purged = req.http.purged;
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = resp.reason + {"
"};
        return (deliver);
    }
}
