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

// Reply and return-reason templates: a click puts the text into its box, where the reviewer
// edits it before sending (nothing is added behind the reviewer's back).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".pd-templates").forEach((set) => {
    const box = document.getElementById(set.dataset.target);
    if (!box) return;
    set.querySelectorAll("[data-insert]").forEach((button) => {
      button.addEventListener("click", () => {
        const text = button.dataset.insert;
        const start = box.selectionStart ?? box.value.length;
        const end = box.selectionEnd ?? box.value.length;
        const before = box.value.slice(0, start);
        const after = box.value.slice(end);
        const gap = before && !before.endsWith("\n") ? "\n" : "";
        box.value = before + gap + text + after;
        const caret = (before + gap + text).length;
        box.focus();
        box.setSelectionRange(caret, caret);
        box.dispatchEvent(new Event("input", { bubbles: true }));
      });
    });
  });
});
