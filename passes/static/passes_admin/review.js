// Opens a document in place (an overlay with the viewer page) and keeps the keyboard simple.
document.addEventListener("DOMContentLoaded", () => {
  const modal = document.getElementById("pd-viewer");
  if (!modal) return;
  // Out of the admin's content box, so no header or sidebar stacking context shows through.
  document.body.appendChild(modal);
  const frame = document.getElementById("pd-viewer-frame");
  const title = document.getElementById("pd-viewer-title");
  const close = () => { modal.hidden = true; frame.src = "about:blank"; };
  document.querySelectorAll("[data-viewer]").forEach((button) => {
    button.addEventListener("click", () => {
      title.textContent = button.dataset.title || "";
      frame.src = button.dataset.viewer;
      modal.hidden = false;
    });
  });
  modal.querySelector("[data-close]").addEventListener("click", close);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && !modal.hidden) close(); });
});
