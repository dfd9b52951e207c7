// A few behaviours htmx does not cover; no inline script anywhere (the CSP forbids it).

// The booking panel's free times: a tap puts the time in the form's time field.
document.addEventListener("click", (event) => {
  const choice = event.target.closest("#free-times [data-time]");
  if (choice) {
    choice.form.elements.namedItem("time").value = choice.dataset.time;
    for (const other of choice.parentElement.querySelectorAll("[data-time]")) {
      other.setAttribute("aria-pressed", String(other === choice));
    }
  }
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});

// A time or an appointment opened from the agenda grid: the keyboard goes on in the panel, not in the grid.
document.addEventListener("htmx:after:settle", () => {
  if (document.activeElement && document.activeElement.closest(".agenda-grid")) {
    const heading = document.querySelector("#panel .panel-head h2");
    if (heading) heading.focus();
  }
});
