/*! Refwire tracking script: keeps the referral code, records the click, passes the code into checkouts. */
(function () {
  'use strict';

  // Only readable while the script first runs; a later callback would see null.
  var script = document.currentScript;
  // window.Refwire may already hold the portal widget's API (/js/refwire-portal.js): only a second copy of this
  // script stops here, and the functions below are added to that object, never put in its place.
  if (!script || (window.Refwire && window.Refwire.getReferral)) return;

  var COOKIE = 'refwire_ref';
  // A session cookie (no max-age): it lives as long as the browser session, which is what "once per visit" means.
  var CLICKED_COOKIE = 'refwire_clicked';
  // The click id the server gave this visit's click (Afflixo's clickId); a tracking link (/r/<slug>) hands it over
  // in the URL as ?refwire_click=, since it recorded the click itself.
  var CLICK_COOKIE = 'refwire_click';
  var CLICK_PARAM = 'refwire_click';
  var CLICK_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  var CODE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
  var LS_FIELD = 'checkout[custom][referral_code]';

  var projectId = script.getAttribute('data-project-id');
  var param = script.getAttribute('data-param') || 'ref';
  var cookieDays = parseInt(script.getAttribute('data-cookie-days') || '', 10);
  // Without data-cookie-days, the project's cookie_days (the server's attribution window) as a click's answer says.
  var cookieDaysFromServer = !(cookieDays > 0);
  if (cookieDaysFromServer) cookieDays = 90;
  var cookieDomain = script.getAttribute('data-cookie-domain');
  // The API lives where the script came from, which need not be the merchant's own origin.
  var origin = new URL(script.src, location.href).origin;

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split(';') : [];
    for (var i = 0; i < parts.length; i++) {
      var pair = parts[i].trim();
      var eq = pair.indexOf('=');
      if (eq > 0 && pair.slice(0, eq) === name) {
        try {
          return decodeURIComponent(pair.slice(eq + 1));
        } catch (e) {
          return null;
        }
      }
    }
    return null;
  }

  function writeCookie(name, value, maxAgeSeconds) {
    var cookie = name + '=' + encodeURIComponent(value) + '; path=/; SameSite=Lax';
    if (maxAgeSeconds !== undefined) cookie += '; max-age=' + maxAgeSeconds;
    if (cookieDomain) cookie += '; domain=' + cookieDomain;
    if (location.protocol === 'https:') cookie += '; Secure';
    document.cookie = cookie;
  }

  function validCode(value) {
    var code = value ? String(value).trim() : '';
    return CODE_PATTERN.test(code) ? code : null;
  }

  function getReferral() {
    return validCode(readCookie(COOKIE));
  }

  function validClickId(value) {
    var id = value ? String(value).trim().toLowerCase() : '';
    return CLICK_ID_PATTERN.test(id) ? id : null;
  }

  function getClickId() {
    return validClickId(readCookie(CLICK_COOKIE));
  }

  /** The code and the click id, kept as long as the attribution window. */
  function keep(code, clickId) {
    writeCookie(COOKIE, code, cookieDays * 86400);
    if (clickId) writeCookie(CLICK_COOKIE, clickId, cookieDays * 86400);
  }

  function post(path, body) {
    // text/plain keeps it a "simple" cross-origin request: no preflight; the server parses it as JSON.
    return fetch(origin + path, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain;charset=UTF-8' },
      body: body,
      credentials: 'omit',
      keepalive: true,
    });
  }

  function recordClick(code) {
    if (!projectId || readCookie(CLICKED_COOKIE) === code) return;
    var body = JSON.stringify({ project_id: projectId, referral_code: code, landing_url: location.href, referrer: document.referrer || null });
    // a click id belongs to the code it was recorded for
    writeCookie(CLICK_COOKIE, '', 0);
    var queued = false;
    // fetch with keepalive still goes out when the visitor leaves at once (e.g. straight to a checkout), and its
    // answer, when the page is still there to read it, holds the click id.
    if (window.fetch) {
      queued = true;
      post('/api/track/click', body)
        .then(function (res) {
          return res.ok ? res.json() : null;
        })
        .then(function (answer) {
          var data = answer && answer.data;
          if (!data || getReferral() !== code) return;
          if (cookieDaysFromServer && data.cookie_days > 0) cookieDays = data.cookie_days;
          keep(code, validClickId(data.click_id));
        })
        .catch(function () {
          return undefined;
        });
    } else if (navigator.sendBeacon) {
      try {
        queued = navigator.sendBeacon(origin + '/api/track/click', body);
      } catch (e) {
        queued = false;
      }
    }
    if (queued) writeCookie(CLICKED_COOKIE, code);
  }

  /** Takes ?refwire_click= out of the address bar, so a copied URL does not hand this visit's click id on. */
  function dropClickParam() {
    try {
      var url = new URL(location.href);
      if (!url.searchParams.has(CLICK_PARAM) || !window.history || !history.replaceState) return;
      url.searchParams.delete(CLICK_PARAM);
      history.replaceState(history.state, '', url.href);
    } catch (e) {
      return;
    }
  }

  function hasParam(url, name) {
    return url.searchParams.has(name);
  }

  /** The checkout URL carrying the code in the field its provider copies into the webhook, or null. */
  function withReferral(href, code) {
    var url;
    try {
      url = new URL(href, location.href);
    } catch (e) {
      return null;
    }
    var host = url.hostname.toLowerCase();
    var field = null;
    if (host === 'buy.stripe.com') {
      // Stripe Payment Links copy client_reference_id onto the Checkout Session.
      field = 'client_reference_id';
    } else if (/(^|\.)lemonsqueezy\.com$/.test(host) && /^\/(checkout\/)?buy\//.test(url.pathname)) {
      // Lemon Squeezy sends checkout[custom][…] back as meta.custom_data.
      field = LS_FIELD;
    } else if (/(^|\.)polar\.sh$/.test(host) && (host.indexOf('buy.') === 0 || url.pathname.indexOf('/checkout') !== -1)) {
      // Polar checkout links store ?reference_id= in the checkout's metadata, copied onto orders and subscriptions.
      field = 'reference_id';
    }
    if (!field || hasParam(url, field)) return null;
    url.searchParams.set(field, code);
    return url.href;
  }

  function paddleCustomData() {
    var code = getReferral();
    return code ? { referral_code: code } : {};
  }

  /** Paddle.js buttons read their custom data from data-custom-data. */
  function tagPaddleButton(el, code) {
    var current = el.getAttribute('data-custom-data');
    var data = {};
    if (current) {
      try {
        data = JSON.parse(current);
      } catch (e) {
        return;
      }
      if (!data || typeof data !== 'object' || data.referral_code) return;
    }
    data.referral_code = code;
    el.setAttribute('data-custom-data', JSON.stringify(data));
  }

  function rewrite(el) {
    var code = getReferral();
    if (!code || !el || el.nodeType !== 1) return;
    if (el.tagName === 'A' && el.getAttribute('href')) {
      var next = withReferral(el.getAttribute('href'), code);
      if (next) el.setAttribute('href', next);
    }
    if (el.classList && el.classList.contains('paddle_button')) tagPaddleButton(el, code);
  }

  function rewriteWithin(root) {
    if (!root || !root.querySelectorAll) return;
    rewrite(root);
    var found = root.querySelectorAll('a[href], .paddle_button');
    for (var i = 0; i < found.length; i++) rewrite(found[i]);
  }

  /** Paddle checkouts are opened from code: add customData.referral_code unless the caller set one. */
  function wrapPaddle() {
    var checkout = window.Paddle && window.Paddle.Checkout;
    if (!checkout || typeof checkout.open !== 'function' || checkout.open.__refwire) return;
    var open = checkout.open;
    var wrapped = function (options) {
      var code = getReferral();
      var args = Array.prototype.slice.call(arguments);
      if (code && options && typeof options === 'object') {
        var custom = options.customData && typeof options.customData === 'object' ? options.customData : {};
        if (custom.referral_code === undefined || custom.referral_code === null) {
          args[0] = Object.assign({}, options, { customData: Object.assign({}, custom, { referral_code: code }) });
        }
      }
      return open.apply(this, args);
    };
    wrapped.__refwire = true;
    checkout.open = wrapped;
  }

  function signup(email) {
    var code = getReferral();
    if (!code || !projectId) return Promise.resolve(null);
    var body = { project_id: projectId, email: email, referral_code: code, click_id: getClickId() };
    return post('/api/track/signup', JSON.stringify(body)).then(function (res) {
      return res.json().then(
        function (body) {
          if (!res.ok) throw new Error((body && body.error) || 'Refwire answered ' + res.status);
          return body;
        },
        function () {
          throw new Error('Refwire answered ' + res.status);
        },
      );
    });
  }

  var refwire = window.Refwire || (window.Refwire = {});
  refwire.getReferral = getReferral;
  refwire.getClickId = getClickId;
  refwire.signup = signup;
  refwire.paddleCustomData = paddleCustomData;

  if (!projectId) {
    if (window.console) console.warn('Refwire: the script tag needs data-project-id');
    return;
  }

  var fromUrl = null;
  var clickFromUrl = null;
  try {
    var here = new URL(location.href).searchParams;
    fromUrl = validCode(here.get(param));
    clickFromUrl = validClickId(here.get(CLICK_PARAM));
  } catch (e) {
    fromUrl = null;
  }
  if (fromUrl && clickFromUrl) {
    // a tracking link recorded this click already: keep its id, and count nothing more this visit
    keep(fromUrl, clickFromUrl);
    writeCookie(CLICKED_COOKIE, fromUrl);
    dropClickParam();
  } else if (fromUrl) {
    keep(fromUrl, null);
    recordClick(fromUrl);
  }

  function start() {
    wrapPaddle();
    rewriteWithin(document.documentElement);
    if (window.MutationObserver) {
      new MutationObserver(function (mutations) {
        for (var i = 0; i < mutations.length; i++) {
          var m = mutations[i];
          if (m.type === 'attributes') rewrite(m.target);
          for (var j = 0; j < m.addedNodes.length; j++) rewriteWithin(m.addedNodes[j]);
        }
      }).observe(document.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['href', 'class'] });
    }
  }

  // The fallback for links the observer missed, and the last moment to catch a Paddle.js loaded after us.
  function onActivate(event) {
    wrapPaddle();
    var target = event.target;
    var el = target && target.closest ? target.closest('a[href], .paddle_button') : null;
    if (el) rewrite(el);
  }
  document.addEventListener('click', onActivate, true);
  document.addEventListener('auxclick', onActivate, true);
  window.addEventListener('load', wrapPaddle);

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
