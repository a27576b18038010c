/** Privacy settings on AWS (README "Privacy"): every function that stores or forwards events applies the same ones; the HMAC key is readable in hmac mode only. */
import { ENV, loadConfig } from '@clickstream/shared';
import { parsePolicy, refOf, resourceAt, synthEnv, variableDefaults } from '../synth';

const { json } = synthEnv('prod');
const STORING = ['collector/function', 'event-processor/consumer/function', 'anomaly-detector/consumer/function', 'archiver/consumer/function'];
const ROLES = { collector: 'collector/role', 'event-processor': 'event-processor/consumer/role', 'anomaly-detector': 'anomaly-detector/consumer/role', archiver: 'archiver/consumer/role' };

describe('privacy settings on the stack', () => {
  it('gives the collector and every consumer the same four settings, from the variables', () => {
    for (const constructPath of STORING) {
      const variables = resourceAt(json, 'aws_lambda_function', constructPath).environment.variables as Record<string, string>;
      expect({ constructPath, settings: [ENV.clientAddressMode, ENV.clientAddressHmacSecretParameter, ENV.clientAddressHmacSecretId, ENV.urlQueryAllowList].map((name) => variables[name]) }).toEqual({
        constructPath,
        settings: [
          '${var.client_address_mode}',
          '${var.client_address_hmac_secret_parameter}',
          '${var.client_address_hmac_secret_id}',
          '${(length(var.url_query_allow_list) == 0) ? "none" : join(",", var.url_query_allow_list)}',
        ],
      });
    }
  });

  it('defaults to truncated addresses and UTM parameters only, which the functions read back as such', () => {
    const defaults = variableDefaults(json);
    expect(defaults).toMatchObject({ client_address_mode: 'truncate', client_address_hmac_secret_parameter: '', client_address_hmac_secret_id: '', url_query_allow_list: ['utm_*'] });
    const env = {
      [ENV.clientAddressMode]: String(defaults.client_address_mode),
      [ENV.clientAddressHmacSecretParameter]: String(defaults.client_address_hmac_secret_parameter),
      [ENV.clientAddressHmacSecretId]: String(defaults.client_address_hmac_secret_id),
      [ENV.urlQueryAllowList]: (defaults.url_query_allow_list as string[]).join(','),
    };
    expect(loadConfig(env).privacy).toMatchObject({ addressMode: 'truncate', queryAllowList: ['utm_*'] });
    // An empty list reaches the functions as "none": no parameter kept (not the default).
    expect(loadConfig({ ...env, [ENV.urlQueryAllowList]: 'none' }).privacy.queryAllowList).toEqual([]);
    expect(json.variable.client_address_mode.validation[0].condition).toBe('${contains(["truncate", "hmac", "keep"], var.client_address_mode)}');
  });

  it('lets each of those functions read the HMAC key only in hmac mode, only that parameter or secret, and refuses a plan without exactly one source', () => {
    const arn = json.locals.client_address_hmac_secret_arn as string;
    expect(arn).toContain(':ssm:${var.aws_region}:');
    expect(arn).toContain(':parameter/${trimprefix(var.client_address_hmac_secret_parameter, "/")}');
    expect(arn).toContain(':secretsmanager:${var.aws_region}:');
    for (const [service, rolePath] of Object.entries(ROLES)) {
      const policy = resourceAt(json, 'aws_iam_role_policy', `privacy/${service}-address-key`);
      expect(policy.count).toBe('${(var.client_address_mode == "hmac") ? 1 : 0}');
      expect(policy.role).toBe(refOf(json, 'aws_iam_role', rolePath, 'id'));
      expect(parsePolicy(policy.policy).Statement).toEqual([
        { Sid: 'ReadAddressKey', Effect: 'Allow', Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'], Resource: '${local.client_address_hmac_secret_arn}' },
      ]);
      expect(policy.lifecycle.precondition).toEqual([
        { condition: '${((var.client_address_hmac_secret_parameter == "") != (var.client_address_hmac_secret_id == ""))}', error_message: expect.stringContaining('exactly one of') },
      ]);
    }
  });
});
