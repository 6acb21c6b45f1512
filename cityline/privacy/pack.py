"""The privacy section of city packs (``privacy.yaml``): processing purposes and the personal-data inventory.

Only the city's published-or-not inventory travels; people's consent events and erasure
records never do (they are personal data, not the operating model).
"""

from cityline.core.packs.spec import Collection, Field, Section, register

from . import models
from .choices import DataCategory

SECTION = register(
    Section(
        file="privacy.yaml",
        title="privacy (B10, B14): processing purposes and the inventory of personal data",
        order=85,
        collections=[
            Collection(
                "purposes", models.ProcessingPurpose, key=True,
                fields=["name", "description", "controller", "category", "lawful_basis", "asks_consent", "services",
                        "policy_url", "termination", "third_parties", "contact_email", "contact_phone",
                        "contact_address", "published"],
                description="Why personal data is processed, by whom and on which lawful basis (GDPR Art. 6); "
                            "purposes that ask for consent appear in every resident's privacy choices.",
            ),
            Collection(
                "holdings", models.PersonalDataHolding, key=True,
                fields=["name", "description", "holder", "service", "data_asset", "building_block",
                        Field("categories", kind="enum_list", required=True, choices=DataCategory.choices),
                        "data_subjects", "purposes", "lawful_basis", "retention", "retention_days", "shared_with",
                        "shared_with_others", "transfers_outside_eea", "transfers", "security_measures",
                        "published"],
                description="The inventory of personal data (B14): which system, held by whom, holds which "
                            "categories of personal data about whom, why, for how long and shared with whom.",
            ),
        ],
    )
)
