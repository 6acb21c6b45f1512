"""The core's API collections: the city itself, organisations, people, documents.

Declarations only: :mod:`cityline.api.generic` builds the operations.
"""

from cityline.api.generic import Resource

from .models import City, Document, Organisation, Person

CITIES_TAG = "cities"
TAG = "core"

#: OpenAPI tag descriptions of this area, in the order they are shown.
TAGS = {
    CITIES_TAG: "The cities this instance hosts, and each city's change history.",
    TAG: "The small core every area builds on: organisations (sector, lifecycle and successor, B2.f), "
         "people (contact details published only when agreed, B2.g) and documents / policy products (B5).",
}

CITY = Resource(
    City, "cities", CITIES_TAG, scoped=False,
    filters=["country"], search=["key", "name", "description"],
)

RESOURCES = [
    Resource(
        Organisation, "organisations", TAG,
        filters=["sector", "lifecycle", "successor"], search=["key", "name", "description"],
    ),
    Resource(
        Person, "people", TAG,
        filters=["organisation", "published_contact"], search=["key", "name", "role"],
        # Contact details are personal data: public only when the person agreed (B2.g).
        private=["email", "phone"], published_if="published_contact",
    ),
    Resource(
        Document, "documents", TAG,
        filters=["doc_type", "status", "owner", "adopted_on", "published_on"], search=["key", "title", "summary"],
        # Listed whatever their status (B5: which policy products exist and how far they are), but a
        # draft's or an adopted document's summary and link stay inside the programme until published.
        private=["summary", "url"], published_if="is_published",
    ),
]
