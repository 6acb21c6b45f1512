"""Privacy: the personal-data inventory, consent with receipts and the citizen area (B10, B14).

ISO 37106 asks a city to manage identity and privacy so that citizens trust it (B10) and to put
personal data under the citizen's control (B14). This app holds

- the public inventory of personal data (:class:`~.models.PersonalDataHolding`) and the purposes
  it serves (:class:`~.models.ProcessingPurpose`), city records that travel in the city pack;
- each person's consent decisions as append-only events with Kantara consent receipts
  (:mod:`.consent`), and evidence of erasure (:mod:`.subject`);
- the citizen area under ``/account/`` (:mod:`.views`) and the public page
  ``/<city>/privacy/`` (:mod:`.public`).
"""
