"""English date formats: day-month-year in words and ISO 8601 in tables.

Django's defaults for "en" are American (11/26/2026), which reads wrongly in most of the
cities Cityline serves; ISO dates are unambiguous everywhere. Input formats stay Django's.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday
