// The Announce form: typing a time or choosing a file ticks the option it belongs to,
// so a time typed under "Hôm nay lúc" is never sent as "Ngay bây giờ".
document.querySelectorAll("[data-picks]").forEach(function (field) {
  var parts = field.getAttribute("data-picks").split(":");
  field.addEventListener("input", function () {
    var radio = document.querySelector('input[type=radio][name="' + parts[0] + '"][value="' + parts[1] + '"]');
    if (radio) { radio.checked = true; }
  });
});
