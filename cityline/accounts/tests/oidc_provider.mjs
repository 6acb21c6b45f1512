// A real OpenID Connect provider for the sign-in tests (panva's oidc-provider, test-only npm dependency).
// Usage: node oidc_provider.mjs <port> <redirect_uri> [<redirect_uri> ...]
// One public client "cityline" (no secret, PKCE required); any login name signs in as that subject,
// with the claims email (<name>@example.org) and name.
import Provider from "oidc-provider";

const [port, ...redirectUris] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "cityline",
      token_endpoint_auth_method: "none",
      redirect_uris: redirectUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["cityline-test-only-cookie-key"] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@example.org`, email_verified: true, name: `Test ${id}` };
      },
    };
  },
});

provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening at ${issuer}`);
});
