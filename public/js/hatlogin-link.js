// Login links as the original HAT and its JavaScript SDK build them (SPEC 6.8):
// `/#/hatlogin?name=…&redirect=…&fallback=…` was a route of the HAT dashboard's single-page app.
// The part after `#` never reaches the server, so this page turns it into this server's
// `/hatlogin?…`, which checks every parameter itself. Only that one route is followed, and only
// to this server's own /hatlogin path: the query cannot change where the browser goes.
(function () {
  'use strict';
  var match = /^#\/hatlogin\/?(\?.*)?$/.exec(window.location.hash);
  if (match) window.location.replace('/hatlogin' + (match[1] || ''));
})();
