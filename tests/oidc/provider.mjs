// A real OpenID Connect provider for the tests (panva's oidc-provider, a devDependency):
// started by tests/oidc/provider.py on 127.0.0.1 with a free port, it prints its issuer URL on
// its first line of output, then serves until it is killed.
//
// Its settings come from the environment, as JSON:
//   OIDC_CLIENT   {"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris"}
//   OIDC_ACCOUNTS_FILE  a JSON file {"<login>": {"sub", "email", "email_verified", "name"}},
//                       read at each sign-in (a test may change an account's email)
// Its development pages (login: any password; consent) stand in for the real provider's.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const client = JSON.parse(process.env.OIDC_CLIENT);

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [{
      ...client,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      // OIDC_SIGNED_USERINFO=1: the userinfo as a signed JWT, as ProConnect sends it.
      ...(process.env.OIDC_SIGNED_USERINFO === '1' ? { userinfo_signed_response_alg: 'RS256' } : {}),
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // The accounts are found by the login typed on the development login page.
    async findAccount(ctx, login) {
      const accounts = JSON.parse(readFileSync(process.env.OIDC_ACCOUNTS_FILE, 'utf8'));
      const account = accounts[login];
      if (!account) {
        return undefined;
      }
      return {
        accountId: login,
        async claims() {
          return { ...account };
        },
      };
    },
    features: {
      devInteractions: { enabled: true },
      jwtUserinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    cookies: { keys: ['inventaire-tests-only'] },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${issuer}\n`);
});
