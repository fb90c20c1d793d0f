// The absence form: choosing the employee preselects their permanent deputy as the substitute
// (the deputies ride on the employee picker as data-deputies, a JSON object username -> username).
(function () {
  "use strict";
  function wire(form) {
    var employee = form.querySelector("select[name=employee]");
    var substitute = form.querySelector("select[name=substitute]");
    if (!employee || !substitute) return;
    var deputies = JSON.parse(employee.getAttribute("data-deputies") || "{}");
    employee.addEventListener("change", function () {
      var deputy = deputies[employee.value];
      if (deputy) substitute.value = deputy;
    });
  }
  document.querySelectorAll("form.absence-form").forEach(wire);
})();
