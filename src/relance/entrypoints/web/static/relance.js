// Relance: small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector(".menu-toggle");
  const nav = document.getElementById("nav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Company switcher.
  document.querySelectorAll("select[data-go]").forEach((select) => {
    select.addEventListener("change", () => { window.location.href = select.value; });
  });
  // Confirmation before a serious action.
  document.querySelectorAll("[data-confirm]").forEach((button) => {
    button.addEventListener("click", (event) => {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });
  // Search as you type: submit the filter form after a pause.
  document.querySelectorAll("form[data-autosubmit] input[type=search]").forEach((input) => {
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => input.form.requestSubmit(), 400);
    });
  });
  // Progress of a long operation: poll its JSON until it ends, then follow its link.
  document.querySelectorAll("[data-job-url]").forEach((box) => {
    const bar = box.querySelector("progress");
    const text = box.querySelector("[data-job-text]");
    const poll = async () => {
      try {
        const response = await fetch(box.dataset.jobUrl, { headers: { Accept: "application/json" } });
        const job = await response.json();
        if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
        if (text) text.textContent = job.message || "";
        if (job.status === "running") { setTimeout(poll, 700); return; }
        if (job.next) window.location.href = job.next;
      } catch (error) {
        if (text) text.textContent = "Suivi interrompu : rechargez la page.";
      }
    };
    poll();
  });
});
