// herd console: live updates of a rollout page. The page works without
// this script; with it, the progress section follows the rollout through
// server-sent events instead of waiting for a reload.
(function () {
  "use strict";
  var progress = document.getElementById("progress");
  if (!progress || !progress.dataset.events || !window.EventSource) {
    return;
  }
  var source = new EventSource(progress.dataset.events);
  source.addEventListener("progress", function (e) {
    progress.innerHTML = e.data;
    progress.dataset.updates = String(Number(progress.dataset.updates || "0") + 1);
  });
})();
