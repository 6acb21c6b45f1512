"""Public participation: consultations, contributions, surveys, "you said, we did" and engagement metrics.

ISO 37106 asks that the vision be shaped with digital public participation (B1.b), that
governance be open to participation (B2.g), and that engagement be a formal, measured
programme reaching every kind of interested party (B3). This app ties each consultation to
the operating-model records it is about (vision objectives, principles, roadmap initiatives,
policy products, services, datasets) and closes the loop in public.

- City records (editor, API, city pack ``participation.yaml``, change history):
  :class:`~.models.ParticipationSettings`, :class:`~.models.Consultation`,
  :class:`~.models.SurveyQuestion`, :class:`~.models.ConsultationResponse`,
  :class:`~.models.ResponseItem`, :class:`~.models.EngagementKpiFeed`.
- Personal records (never in the pack, never public beyond a chosen display name):
  :class:`~.models.Participant`, :class:`~.models.Contribution`, :class:`~.models.Support`,
  :class:`~.models.SurveyAnswer`, :class:`~.models.ContributionReport`, and the append-only
  moderation log :class:`~.models.ModerationEvent`.
- Rules and computations live in :mod:`.domain` (plain Python) and :mod:`.services`.
"""
