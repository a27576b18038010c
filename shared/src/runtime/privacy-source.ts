import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { AddressSecretSource, Config } from '../contract/config';
import { addressKey, type AddressKey, type PrivacyPolicy } from '../contract/privacy';
import { createSecretsManagerClient, createSsmClient } from './clients';

/**
 * The privacy policy a function applies, with its HMAC key when the address mode is `hmac`. The key
 * comes from configuration (`CLIENT_ADDRESS_HMAC_SECRET`), an SSM parameter or a Secrets Manager
 * secret; it is read on first use and again once `secretCacheMs` has passed, so rotating the secret
 * (a new parameter version, a new secret version) takes effect in every function within that time
 * and without a deployment. Pseudonyms change with the key: that is the point of rotating it.
 */
export interface PrivacySource {
  policy(): Promise<PrivacyPolicy>;
}

/** Reads the current secret text. */
export type SecretReader = () => Promise<string>;

/** A source that always answers the same policy (tests, modes without a secret). */
export function fixedPrivacySource(policy: PrivacyPolicy): PrivacySource {
  return { policy: () => Promise.resolve(policy) };
}

/** The reader for a configured secret source, with clients from the shared factory. */
export function secretReader(source: AddressSecretSource, config: Config): SecretReader {
  switch (source.kind) {
    case 'value':
      return () => Promise.resolve(source.value);
    case 'ssm': {
      const ssm = createSsmClient(config);
      return async () => {
        const answer = await ssm.send(new GetParameterCommand({ Name: source.name, WithDecryption: true }));
        const value = answer.Parameter?.Value;
        if (value === undefined || value === '') throw new Error(`SSM parameter ${source.name} has no value`);
        return value;
      };
    }
    case 'secrets-manager': {
      const secrets = createSecretsManagerClient(config);
      return async () => {
        const answer = await secrets.send(new GetSecretValueCommand({ SecretId: source.id }));
        const value = answer.SecretString ?? (answer.SecretBinary === undefined ? undefined : Buffer.from(answer.SecretBinary).toString('utf8'));
        if (value === undefined || value === '') throw new Error(`secret ${source.id} has no value`);
        return value;
      };
    }
  }
}

/**
 * The policy of a function's configuration. In `hmac` mode the key is cached for `secretCacheMs`;
 * when a re-read fails, the cached key is kept until a read succeeds (the secret store being
 * briefly unreachable must not stop the pipeline), while a first read that fails throws, so the
 * invocation fails and is retried rather than storing anything unpseudonymized.
 */
export function privacySource(config: Config, options: { reader?: SecretReader; now?: () => number; onRefreshError?: (error: unknown) => void } = {}): PrivacySource {
  const { privacy } = config;
  const base = { addressMode: privacy.addressMode, queryAllowList: privacy.queryAllowList };
  if (privacy.addressMode !== 'hmac' || privacy.addressSecret === undefined) return fixedPrivacySource(base);
  const read = options.reader ?? secretReader(privacy.addressSecret, config);
  const now = options.now ?? Date.now;
  let cached: { key: AddressKey; readAtMs: number } | undefined;
  let reading: Promise<AddressKey> | undefined;
  const refresh = (): Promise<AddressKey> => {
    reading ??= read()
      .then((secret) => {
        const key = addressKey(secret.trim());
        cached = { key, readAtMs: now() };
        return key;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  return {
    async policy() {
      if (cached === undefined) return { ...base, addressKey: await refresh() };
      if (now() - cached.readAtMs >= privacy.secretCacheMs) {
        try {
          return { ...base, addressKey: await refresh() };
        } catch (error) {
          options.onRefreshError?.(error);
          cached.readAtMs = now();
        }
      }
      return { ...base, addressKey: cached.key };
    },
  };
}
