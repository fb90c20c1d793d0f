"""Documents built from the records, for people to keep or pass on: the approval sheet of an
instance (PDF and XLSX) and the «Автоматизация» list as a spreadsheet.

A room of its own because both doors need them: the pages (``work``) and the API (``api``) stand
beside each other and may not import one another, so what they both serve is built here, below
them, from ``engine``, ``crm`` and ``files``; ``analytics`` (above) writes its exports through
:mod:`reports.workbook` too.
"""
