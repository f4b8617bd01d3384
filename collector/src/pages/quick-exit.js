// Quick exit: leave for the operator's neutral page at once, replacing this
// page in the history so that Back does not return to the survey. Also on
// Escape pressed twice within a second. Without scripts the quick-exit
// control is a plain link to the same address.
//
// It also deletes the unfinished answers the WASM runner keeps locked on
// this phone (the IndexedDB database "chorus-drafts", frontend/src/idb.rs);
// answers waiting to be sent (database "chorus") are kept. The page is
// emptied at once; the address changes when the deletion is done, or after
// half a second at most (a deletion asked for goes on in the browser).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="chorus-exit-url"]');
  var target = meta ? meta.getAttribute("content") : null;
  var leaving = false;
  function leave() {
    if (leaving) return;
    leaving = true;
    document.body.innerHTML = "";
    document.title = "";
    var gone = false;
    function go() {
      if (gone) return;
      gone = true;
      window.location.replace(target || "about:blank");
    }
    var request = null;
    try {
      request = window.indexedDB ? window.indexedDB.deleteDatabase("chorus-drafts") : null;
    } catch (e) {
      request = null;
    }
    if (!request) return go();
    request.onsuccess = go;
    request.onerror = go;
    window.setTimeout(go, 500);
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
