"""The core section of city packs (``core.yaml``): organisations, people, documents.

The engine that reads and writes packs is :mod:`cityline.core.packs`; this module
only declares what ``core.yaml`` holds (see ``docs/city-packs.md``).
"""

from cityline.core.packs.spec import Collection, Section, register

from .models import Document, Organisation, Person

SECTION = register(
    Section(
        file="core.yaml",
        title="organisations, people and documents (policy products)",
        order=10,
        collections=[
            Collection(
                "organisations", Organisation, key=True,
                fields=["name", "sector", "description", "website", "lifecycle", "successor"],
                description="Partner organisations with their sector and lifecycle (B2.b, B2.f).",
            ),
            Collection(
                "people", Person, key=True,
                fields=["name", "role", "organisation", "email", "phone", "published_contact"],
                description="People named in the operating model; published_contact shows them publicly (B2.g).",
            ),
            Collection(
                "documents", Document, key=True,
                fields=["title", "doc_type", "status", "summary", "url", "owner", "adopted_on", "published_on"],
                description="Documents and policy products, draft → adopted → published (B2.g, B5).",
            ),
        ],
    )
)
