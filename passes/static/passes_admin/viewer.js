// Zoom and rotate for scanned pages, without leaving the review page.
document.addEventListener("DOMContentLoaded", () => {
  let zoom = 1, angle = 0, fitted = true;
  const label = document.getElementById("zoom");
  const pages = () => document.querySelectorAll(".page img");
  const apply = () => {
    const stage = document.getElementById("stage").clientWidth - 24;
    pages().forEach((img) => {
      if (!img.naturalWidth) return;
      const sideways = angle % 180 !== 0;
      const base = fitted ? Math.min(1, stage / (sideways ? img.naturalHeight : img.naturalWidth)) : 1;
      const width = img.naturalWidth * base * zoom;
      img.style.width = width + "px";
      const fig = img.parentElement;
      fig.style.transform = `rotate(${angle}deg)`;
      fig.style.margin = sideways ? `${(img.naturalWidth - img.naturalHeight) * base * zoom / 2}px auto` : "0 auto 16px";
    });
    label.textContent = Math.round(zoom * 100) + "%";
  };
  pages().forEach((img) => img.complete ? apply() : img.addEventListener("load", apply));
  document.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    zoom = Math.min(6, Math.max(0.2, zoom * (b.dataset.zoom === "1" ? 1.25 : 0.8))); apply();
  }));
  document.querySelector("[data-fit]").addEventListener("click", () => { zoom = 1; fitted = true; apply(); });
  document.querySelector("[data-rotate]").addEventListener("click", () => { angle = (angle + 90) % 360; apply(); });
  document.addEventListener("keydown", (e) => {
    if (e.key === "+" || e.key === "=") { zoom *= 1.25; apply(); }
    if (e.key === "-") { zoom *= 0.8; apply(); }
    if (e.key === "r") { angle = (angle + 90) % 360; apply(); }
    if (e.key === "Escape" && window.parent !== window) window.parent.document.querySelector("#pd-viewer [data-close]")?.click();
  });
  window.addEventListener("resize", apply);
});
