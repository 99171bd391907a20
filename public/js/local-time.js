// Times in the person's own clock: every <time datetime> marked `js-local-time` shows
// "2 min ago" (or the local date), with the exact local time on hover. Without scripts the
// server's UTC text stays, which is exact too.
(function () {
  'use strict';
  var units = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60],
  ];
  var relative = typeof Intl !== 'undefined' && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' }) : null;
  // The exact time names its zone, so that nobody takes it for the server's UTC.
  var exact = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', timeZoneName: 'short' });

  function ago(date, now) {
    var seconds = Math.round((date.getTime() - now) / 1000);
    if (Math.abs(seconds) < 45) return 'just now';
    if (!relative) return exact.format(date);
    for (var i = 0; i < units.length; i++) {
      var size = units[i][1];
      if (Math.abs(seconds) >= size || units[i][0] === 'minute') {
        // Older than a week: the date says more than "3 weeks ago".
        if (Math.abs(seconds) > 7 * 24 * 3600) return exact.format(date);
        return relative.format(Math.round(seconds / size), units[i][0]);
      }
    }
    return exact.format(date);
  }

  function update() {
    var now = Date.now();
    var times = document.querySelectorAll('time.js-local-time[datetime]');
    for (var i = 0; i < times.length; i++) {
      var date = new Date(times[i].getAttribute('datetime'));
      if (isNaN(date.getTime())) continue;
      times[i].textContent = ago(date, now);
      times[i].title = exact.format(date);
    }
  }
  update();
  setInterval(update, 30 * 1000);
})();
