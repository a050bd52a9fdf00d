/* Shared by the chat page and the dashboard: i18n, DOM building without HTML
 * parsing, the REST helper, the signed-in session and the sign-in form.
 * Everything the server sends is put on the page as text (textContent / text
 * nodes); nothing here ever assigns innerHTML. */
(function () {
  'use strict';

  var STRINGS = {
    zh: {
      'lang.switch': 'EN',
      'signin.title': '登录',
      'signin.username': '用户名',
      'signin.password': '密码',
      'signin.submit': '登录',
      'signin.hint': '演示账号见 README，例如 hz_sales1 / demo1234',
      'signin.failed': '登录失败',
      'nav.chat': '对话',
      'nav.dashboard': '看板',
      'nav.content': '知识库',
      'nav.learn': '微课',
      'nav.practice': '练习',
      'nav.sandbox': '沙盘',
      'nav.mentoring': '分享会',
      'nav.signout': '退出',
      'net.error': '网络异常，请稍后再试。'
    },
    en: {
      'lang.switch': '中文',
      'signin.title': 'Sign in',
      'signin.username': 'Username',
      'signin.password': 'Password',
      'signin.submit': 'Sign in',
      'signin.hint': 'Demo users are listed in the README, e.g. hz_sales1 / demo1234',
      'signin.failed': 'Sign-in failed',
      'nav.chat': 'Chat',
      'nav.dashboard': 'Dashboard',
      'nav.content': 'Knowledge base',
      'nav.learn': 'Lessons',
      'nav.practice': 'Practice',
      'nav.sandbox': 'Sandbox',
      'nav.mentoring': 'Sessions',
      'nav.signout': 'Sign out',
      'net.error': 'Network problem; please try again.'
    }
  };

  function storage(kind) {
    try { return kind === 'local' ? window.localStorage : window.sessionStorage; } catch (e) { return null; }
  }

  function readLang() {
    var qs = new URLSearchParams(location.search).get('lang');
    if (qs === 'en' || qs === 'zh') return qs;
    var st = storage('local');
    var saved = st && st.getItem('ca.lang');
    return saved === 'en' ? 'en' : 'zh';
  }

  var CA = {
    lang: readLang(),
    addStrings: function (extra) {
      ['zh', 'en'].forEach(function (l) {
        Object.keys(extra[l] || {}).forEach(function (k) { STRINGS[l][k] = extra[l][k]; });
      });
    },
    t: function (key, vars) {
      var s = STRINGS[CA.lang][key];
      if (s === undefined) s = STRINGS.zh[key];
      if (s === undefined) return key;
      if (vars) s = s.replace(/\{(\w+)\}/g, function (m, k) { return vars[k] === undefined ? m : String(vars[k]); });
      return s;
    },
    setLang: function (lang, persist) {
      CA.lang = lang === 'en' ? 'en' : 'zh';
      document.documentElement.lang = CA.lang === 'en' ? 'en' : 'zh-CN';
      if (persist !== false) { var st = storage('local'); if (st) st.setItem('ca.lang', CA.lang); }
      CA.applyI18n(document);
    },
    applyI18n: function (root) {
      root.querySelectorAll('[data-i18n]').forEach(function (n) { n.textContent = CA.t(n.getAttribute('data-i18n')); });
      root.querySelectorAll('[data-i18n-ph]').forEach(function (n) { n.placeholder = CA.t(n.getAttribute('data-i18n-ph')); });
      root.querySelectorAll('[data-i18n-title]').forEach(function (n) {
        var v = CA.t(n.getAttribute('data-i18n-title'));
        n.title = v; n.setAttribute('aria-label', v);
      });
    },

    /* el('div', {class: 'x', onclick: fn}, 'text', childNode, [more]) */
    el: function (tag, attrs) {
      var node = document.createElement(tag);
      if (attrs) {
        Object.keys(attrs).forEach(function (k) {
          var v = attrs[k];
          if (v === null || v === undefined || v === false) return;
          if (k.slice(0, 2) === 'on' && typeof v === 'function') node.addEventListener(k.slice(2), v);
          else if (k === 'class') node.className = v;
          else if (k === 'text') node.textContent = v;
          else if (k === 'dataset') Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
          else node.setAttribute(k, v === true ? '' : String(v));
        });
      }
      for (var i = 2; i < arguments.length; i++) CA.append(node, arguments[i]);
      return node;
    },
    append: function (node, child) {
      if (child === null || child === undefined || child === false) return;
      if (Array.isArray(child)) { child.forEach(function (c) { CA.append(node, c); }); return; }
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    },
    clear: function (node) { while (node.firstChild) node.removeChild(node.firstChild); },

    /* REST: resolves {ok, status, data}; never rejects (a network failure is status 0). */
    api: function (path, opts) {
      opts = opts || {};
      // The server's messages (errors, answers) in the page's language.
      var headers = { 'Accept': 'application/json', 'Accept-Language': CA.lang === 'en' ? 'en' : 'zh-CN' };
      var token = opts.token === undefined ? CA.session.token() : opts.token;
      if (token) headers.Authorization = 'Bearer ' + token;
      var init = { method: opts.method || 'GET', headers: headers, credentials: 'omit' };
      if (opts.body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(opts.body); }
      return fetch(path, init).then(function (r) {
        return r.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return { ok: r.ok, status: r.status, data: data };
        });
      }, function () { return { ok: false, status: 0, data: null }; });
    },
    errorText: function (res) {
      if (res && res.data && typeof res.data.message === 'string') return res.data.message;
      return CA.t('net.error');
    },

    /* The signed-in session lives in sessionStorage (per tab, gone when it closes). */
    session: {
      _mem: null,
      _key: 'ca.session',
      persist: true,
      get: function () {
        var s = CA.session._mem;
        if (!s && CA.session.persist) {
          var st = storage('session');
          try { s = st && JSON.parse(st.getItem(CA.session._key) || 'null'); } catch (e) { s = null; }
        }
        if (s && s.expires && s.expires < Date.now()) { CA.session.clear(); return null; }
        CA.session._mem = s;
        return s;
      },
      token: function () { var s = CA.session.get(); return s ? s.token : null; },
      set: function (token, expiresIn, extra) {
        var s = { token: token, expires: Date.now() + Math.max(0, (expiresIn || 0) - 30) * 1000 };
        Object.keys(extra || {}).forEach(function (k) { s[k] = extra[k]; });
        CA.session._mem = s;
        var st = CA.session.persist && storage('session');
        if (st) st.setItem(CA.session._key, JSON.stringify(s));
        return s;
      },
      update: function (extra) {
        var s = CA.session.get();
        if (!s) return;
        CA.session.set(s.token, Math.round((s.expires - Date.now()) / 1000) + 30, extra);
      },
      clear: function () {
        CA.session._mem = null;
        var st = storage('session');
        if (st) { st.removeItem(CA.session._key); st.removeItem('ca.conversation'); st.removeItem('ca.pending'); }
      }
    },

    /* Wire a sign-in form (fields name=username, name=password, an [data-role=error] node). */
    bindSignIn: function (form, onDone) {
      var error = form.querySelector('[data-role=error]');
      form.addEventListener('submit', function (ev) {
        ev.preventDefault();
        var btn = form.querySelector('button[type=submit]');
        btn.disabled = true;
        error.textContent = '';
        var body = { username: form.elements.username.value.trim(), password: form.elements.password.value };
        CA.api('/api/auth/token', { method: 'POST', body: body, token: null }).then(function (res) {
          btn.disabled = false;
          if (!res.ok || !res.data || !res.data.access_token) {
            error.textContent = CA.t('signin.failed') + '：' + CA.errorText(res);
            return;
          }
          form.elements.password.value = '';
          CA.session.set(res.data.access_token, res.data.expires_in);
          onDone();
        });
      });
    },

    /* The language button: shows the other language's name, switches on click. */
    bindLangButton: function (btn, after) {
      btn.addEventListener('click', function () {
        CA.setLang(CA.lang === 'zh' ? 'en' : 'zh');
        if (after) after();
      });
    }
  };

  window.CA = CA;
  document.documentElement.lang = CA.lang === 'en' ? 'en' : 'zh-CN';
})();
