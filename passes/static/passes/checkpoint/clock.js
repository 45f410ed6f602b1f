/* The verify page's live Beijing time: a screenshot of "valid" shows when it was taken, and a
   live page shows seconds ticking, so an old screenshot cannot pass for a fresh check. */
(function () {
  "use strict";
  var clock = document.querySelector("[data-live-clock]");
  if (!clock || !window.Intl) return;
  var format = new Intl.DateTimeFormat("zh-CN", {
    timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
  });
  function tick() {
    var parts = {};
    format.formatToParts(new Date()).forEach(function (p) { parts[p.type] = p.value; });
    clock.textContent = parts.year + "-" + parts.month + "-" + parts.day + " " +
      parts.hour + ":" + parts.minute + ":" + parts.second;
  }
  tick();
  setInterval(tick, 1000);
})();
