"""The identity section of city packs (``identity.yaml``): the city's OpenID Connect providers (B10).

Client secrets never travel in a pack (they live in ``ProviderSecret``, set in the editor);
a provider imported from a pack is a public client (PKCE) until a secret is set.
"""

from cityline.core.packs.spec import Collection, Section, register

from . import models

SECTION = register(
    Section(
        file="identity.yaml",
        title="identity federation (B10): the city's OpenID Connect providers",
        order=200,
        collections=[
            Collection(
                "identity_providers", models.IdentityProvider, key=True,
                fields=["name", "issuer", "client_id", "scopes", "trust_level", "enabled", "create_accounts"],
                description="OpenID Connect providers people sign in with (no client secrets: those are set "
                            "in the editor). trust_level: 1 low, 2 substantial, 3 high (eIDAS levels of "
                            "assurance); roles need a minimum level.",
            ),
        ],
    )
)
