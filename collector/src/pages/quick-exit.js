// Quick exit: leave for the operator's neutral page at once, replacing this
// page in the history so that Back does not return to the survey. Also on
// Escape pressed twice within a second. Without scripts the quick-exit
// control is a plain link to the same address.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="chorus-exit-url"]');
  var target = meta ? meta.getAttribute("content") : null;
  function leave() {
    document.body.innerHTML = "";
    document.title = "";
    window.location.replace(target || "about:blank");
  }
  document.addEventListener("click", function (e) {
    var a = e.target && e.target.closest ? e.target.closest(".quick-exit") : null;
    if (a) {
      e.preventDefault();
      leave();
    }
  });
  var last = 0;
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var now = Date.now();
    if (now - last < 1000) leave();
    last = now;
  });
})();
