/*! Refwire tracking script: keeps the referral code, records the click, passes the code into checkouts. */
(function () {
  'use strict';

  // Only readable while the script first runs; a later callback would see null.
  var script = document.currentScript;
  // window.Refwire may already hold the portal widget's API (/js/refwire-portal.js): only a second copy of this
  // script stops here; the widget's part is kept (see where window.Refwire is set below).
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
  // The project's publishable key (pk_…), needed only to report purchases: Refwire(value, 'purchase', email).
  var publishableKey = script.getAttribute('data-publishable-key');
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

  /** The checkout provider a link goes to, and the field it copies into the webhook; null for any other link. */
  function checkoutOf(url) {
    var host = url.hostname.toLowerCase();
    // Stripe Payment Links copy client_reference_id onto the Checkout Session.
    if (host === 'buy.stripe.com') return { provider: 'stripe', field: 'client_reference_id' };
    // Lemon Squeezy sends checkout[custom][…] back as meta.custom_data.
    if (/(^|\.)lemonsqueezy\.com$/.test(host) && /^\/(checkout\/)?buy\//.test(url.pathname)) return { provider: 'lemonsqueezy', field: LS_FIELD };
    // Polar checkout links store ?reference_id= in the checkout's metadata, copied onto orders and subscriptions.
    if (/(^|\.)polar\.sh$/.test(host) && (host.indexOf('buy.') === 0 || url.pathname.indexOf('/checkout') !== -1)) return { provider: 'polar', field: 'reference_id' };
    return null;
  }

  /** The checkout URL carrying the code in the field its provider copies into the webhook, or null (only = a provider). */
  function withReferral(href, code, only) {
    var url;
    try {
      url = new URL(href, location.href);
    } catch (e) {
      return null;
    }
    var checkout = checkoutOf(url);
    if (!checkout || (only && checkout.provider !== only) || hasParam(url, checkout.field)) return null;
    url.searchParams.set(checkout.field, code);
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
    return post('/api/track/signup', JSON.stringify(body)).then(answerOf);
  }

  /** The links of one provider on the page, rewritten now (Refgrow's process…Links helpers); how many changed. */
  function processLinks(provider) {
    var code = getReferral();
    if (!code) return 0;
    var links = document.querySelectorAll('a[href]');
    var changed = 0;
    for (var i = 0; i < links.length; i++) {
      var next = withReferral(links[i].getAttribute('href'), code, provider);
      if (next) {
        links[i].setAttribute('href', next);
        changed++;
      }
    }
    return changed;
  }

  /** Paddle: buttons (data-custom-data) and Paddle.Checkout.open() get the code; how many buttons changed. */
  function processPaddleLinks() {
    wrapPaddle();
    var code = getReferral();
    if (!code) return 0;
    var buttons = document.querySelectorAll('.paddle_button, [data-paddle-button]');
    var changed = 0;
    for (var i = 0; i < buttons.length; i++) {
      var before = buttons[i].getAttribute('data-custom-data');
      tagPaddleButton(buttons[i], code);
      if (buttons[i].getAttribute('data-custom-data') !== before) changed++;
    }
    return changed;
  }

  /** Sends the visitor to a Stripe Payment Link carrying the code (as client_reference_id). */
  function redirectToStripePaymentLink(href) {
    var code = getReferral();
    var next = (code && withReferral(href, code, 'stripe')) || href;
    location.assign(next);
    return next;
  }

  function answerOf(res) {
    return res.json().then(
      function (body) {
        if (!res.ok) throw new Error((body && body.error) || 'Refwire answered ' + res.status);
        return body;
      },
      function () {
        throw new Error('Refwire answered ' + res.status);
      },
    );
  }

  function newOrderId() {
    if (window.crypto && crypto.randomUUID) return 'web_' + crypto.randomUUID();
    return 'web_' + Date.now().toString(36) + '_' + Math.random().toString(36).slice(2, 12);
  }

  /**
   * A purchase the page saw: reported with the publishable key, for the merchant's review. options.order_id makes
   * a repeat (a reloaded thank-you page) count once; without it each call is an order of its own.
   */
  function purchase(value, email, options) {
    var code = getReferral();
    if (!code) return Promise.resolve(null);
    if (!publishableKey) return Promise.reject(new Error('Refwire: purchases need data-publishable-key="pk_…" on the script tag'));
    var body = { publishable_key: publishableKey, order_id: (options && options.order_id) || newOrderId(), amount: value, referral_code: code };
    if (email) body.email = email;
    if (options && options.currency) body.currency = options.currency;
    return post('/api/track/conversion', JSON.stringify(body)).then(answerOf);
  }

  /**
   * Refgrow's call: Refwire(0, 'signup', email) records a referred signup; Refwire(49.99, 'purchase', email) reports
   * a purchase. Nothing is sent for a visitor who came without a referral code (it answers null).
   */
  function Refwire(value, type, email, options) {
    var kind = type || 'purchase';
    if (kind === 'signup') return email ? signup(email) : Promise.reject(new Error('Refwire: a signup needs the email'));
    if (kind === 'purchase') return purchase(value, email, options);
    return Promise.reject(new Error("Refwire: the type is 'signup' or 'purchase'"));
  }
  Refwire.getReferral = getReferral;
  Refwire.getClickId = getClickId;
  Refwire.signup = signup;
  Refwire.purchase = purchase;
  Refwire.paddleCustomData = paddleCustomData;
  Refwire.processStripePaymentLinks = function () {
    return processLinks('stripe');
  };
  Refwire.processLemonSqueezyLinks = function () {
    return processLinks('lemonsqueezy');
  };
  Refwire.processPolarLinks = function () {
    return processLinks('polar');
  };
  Refwire.processPaddleLinks = processPaddleLinks;
  Refwire.redirectToStripePaymentLink = redirectToStripePaymentLink;
  // The portal widget (/js/refwire-portal.js) may have made window.Refwire first: what it put there (portal) moves
  // onto this function, which takes its place; loaded after this script, the widget adds to the function instead.
  var earlier = window.Refwire;
  if (earlier) {
    for (var key in earlier) {
      if (Object.prototype.hasOwnProperty.call(earlier, key) && !Object.prototype.hasOwnProperty.call(Refwire, key)) Refwire[key] = earlier[key];
    }
  }
  window.Refwire = Refwire;
  // pages written for Refgrow's script call Refgrow(…) and Refgrow.process…Links()
  if (!window.Refgrow) window.Refgrow = Refwire;

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
