"""Give participants who took part before ``Participant.language`` existed the language of their own later taking part.

Migration 0002 added ``language`` empty for everybody: nothing stored said which language a person used (their
contributions, supports, survey answers and reports carry none), so the "the city has responded" e-mail went to
them in the site's default language until they saved their profile again. Since then, the same people may have
joined or saved another consultation of the same city, whose record now says the language of the page they used:
the best evidence there is of the language they read the city's consultations in. This migration copies it
(their most recent such participation in the same city) onto their participations that have none.

Left empty, on purpose: offline responses and erased participants (no person behind them), people with no other
participation in that city that has a language (nothing to go on), and anything from another city (another
controller's record) or from consent receipts (kept as evidence of what was agreed, not for writing to people).
"""

from django.db import migrations


def fill_language(apps, schema_editor):
    Participant = apps.get_model("participation", "Participant")
    known: dict[tuple[int, int], str] = {}
    for user_id, city_id, language in (Participant.objects.filter(user__isnull=False).exclude(language="")
                                       .order_by("joined_at", "id").values_list("user_id", "city_id", "language")):
        known[(user_id, city_id)] = language  # the most recent wins
    if not known:
        return
    by_language: dict[str, list[int]] = {}
    for pk, user_id, city_id in (Participant.objects.filter(user__isnull=False, language="")
                                 .values_list("pk", "user_id", "city_id")):
        language = known.get((user_id, city_id))
        if language:
            by_language.setdefault(language, []).append(pk)
    for language, pks in by_language.items():
        for start in range(0, len(pks), 500):
            Participant.objects.filter(pk__in=pks[start:start + 500], language="").update(language=language)


class Migration(migrations.Migration):

    dependencies = [
        ('participation', '0002_participant_language'),
    ]

    operations = [
        migrations.RunPython(fill_language, migrations.RunPython.noop, elidable=False),
    ]
