/* Channel assistant widget loader: paste one tag into a partner portal page.
 *
 *   <script src="https://ASSISTANT/widget.js" async
 *           data-portal="demo"                     portal id (corpus/portals.yaml)
 *           data-identity-url="/assistant/identity" YOUR server's endpoint: POST, same origin, returns
 *                                                  {"token": "<identity token signed with your secret>"}
 *           data-position="right"                  right | left
 *           data-color="#0b6bcb"                   accent colour (#rgb / #rrggbb)
 *           data-lang="zh"                         zh | en
 *           data-open="false"></script>            true: open on load
 *
 * The chat runs in an iframe from the assistant's origin.  No secret or token is ever
 * put in a URL: the identity token travels by postMessage, addressed to the assistant's
 * origin only, and messages are accepted only from that iframe and that origin.
 * See docs/embedding.md. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.ChannelAssistantWidget) return;
  var d = script.dataset;
  var serviceOrigin = new URL(script.src, location.href).origin;
  var portal = d.portal || '';
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(portal)) { console.error('[assistant widget] data-portal is missing or invalid'); return; }
  var left = d.position === 'left';
  var color = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(d.color || '') ? d.color : '#0b6bcb';
  var lang = d.lang === 'en' ? 'en' : 'zh';
  var identityUrl = d.identityUrl || '';
  var frame = null, launcher, open = false;

  function css(node, styles) { Object.keys(styles).forEach(function (k) { node.style[k] = styles[k]; }); }

  launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.id = 'cas-launcher';
  launcher.setAttribute('aria-label', lang === 'en' ? 'Open the sales assistant' : '打开销售助手');
  launcher.setAttribute('aria-expanded', 'false');
  launcher.textContent = lang === 'en' ? 'Assistant' : '销售助手';
  css(launcher, {
    position: 'fixed', bottom: '20px', zIndex: '2147483000', padding: '12px 18px', border: '0', borderRadius: '999px',
    background: color, color: '#fff', font: '600 15px/1 system-ui, sans-serif', cursor: 'pointer',
    boxShadow: '0 6px 20px rgba(0,0,0,.25)'
  });
  launcher.style[left ? 'left' : 'right'] = '20px';

  function makeFrame() {
    frame = document.createElement('iframe');
    frame.id = 'cas-frame';
    frame.title = lang === 'en' ? 'Sales assistant' : '销售助手';
    var q = new URLSearchParams({ portal: portal, lang: lang, color: color });
    frame.src = serviceOrigin + '/widget/frame?' + q.toString();
    frame.setAttribute('referrerpolicy', 'origin');
    frame.setAttribute('allow', 'clipboard-write');
    css(frame, {
      position: 'fixed', bottom: '84px', zIndex: '2147483000', width: 'min(400px, calc(100vw - 24px))',
      height: 'min(640px, calc(100vh - 110px))', border: '0', borderRadius: '14px', background: '#fff',
      boxShadow: '0 10px 40px rgba(0,0,0,.3)', display: 'none'
    });
    frame.style[left ? 'left' : 'right'] = '12px';
    document.body.appendChild(frame);
  }

  function setOpen(value) {
    open = !!value;
    if (open && !frame) makeFrame();
    if (frame) frame.style.display = open ? 'block' : 'none';
    launcher.setAttribute('aria-expanded', String(open));
  }

  function post(msg) { if (frame && frame.contentWindow) frame.contentWindow.postMessage(msg, serviceOrigin); }

  function provideIdentity() {
    if (!identityUrl) { post({ type: 'cas:identity-error' }); return; }
    fetch(identityUrl, { method: 'POST', credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status)); })
      .then(function (j) {
        if (!j || typeof j.token !== 'string') throw new Error('no token');
        post({ type: 'cas:identity', token: j.token });
      })
      .catch(function (e) { console.error('[assistant widget] identity:', e.message); post({ type: 'cas:identity-error' }); });
  }

  window.addEventListener('message', function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== serviceOrigin) return;
    var m = e.data;
    if (!m || typeof m !== 'object') return;
    if (m.type === 'cas:need-identity') provideIdentity();
    else if (m.type === 'cas:close') setOpen(false);
  });

  launcher.addEventListener('click', function () { setOpen(!open); });

  function mount() {
    document.body.appendChild(launcher);
    if (d.open === 'true') setOpen(true);
  }
  if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

  window.ChannelAssistantWidget = { open: function () { setOpen(true); }, close: function () { setOpen(false); }, toggle: function () { setOpen(!open); } };
})();
