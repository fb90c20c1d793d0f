"""English dates for a Moscow sales department: day first and the month as a word (``02 Dec 2026``),
never ``12/02/2026``, which a Russian reader takes for 12 February; times on the 24-hour clock,
like the Moscow times they are."""

SHORT_DATE_FORMAT = "d M Y"
SHORT_DATETIME_FORMAT = "d M Y, H:i"
