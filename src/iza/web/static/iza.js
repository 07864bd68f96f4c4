// Live regions: an element with data-refresh="/partials/x" data-every="N" reloads its HTML from
// that URL every N seconds. This is the one interaction the shell needs, so it is done in a few
// lines rather than by shipping a front-end library (nothing may be fetched from a CDN offline).
(function () {
  function refresh(el) {
    fetch(el.dataset.refresh, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (r) { if (r.redirected || !r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (html) { el.innerHTML = html; el.dataset.refreshedAt = String(Date.now()); })
      .catch(function () { el.dataset.refreshFailed = "1"; });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh]").forEach(function (el) {
      var every = Number(el.dataset.every || "10") * 1000;
      setInterval(function () { refresh(el); }, every);
    });
  });
})();
