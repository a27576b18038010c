import { Construct } from 'constructs';
import { Fn, Op, TerraformLocal, TerraformVariable, Token } from 'cdktn';
import type { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import { ADDRESS_MODES, DEFAULT_QUERY_ALLOW_LIST, ENV } from '@clickstream/shared';
import { policyDocument } from '../policy';

export interface PrivacyProps {
  region: string;
  accountId: string;
  partition: string;
}

const hclList = (values: readonly string[]) => `[${values.map((value) => JSON.stringify(value)).join(', ')}]`;

/**
 * The privacy settings of every function that stores or forwards events (the collector and the
 * three consumers; README "Privacy"): how client addresses are pseudonymized, where the HMAC
 * secret lives (an SSM SecureString parameter or a Secrets Manager secret, re-read by the
 * functions so a rotation takes over without a deployment), and which URL query parameters are
 * kept. Only in `hmac` mode may the functions read the secret, and only that one.
 */
export class Privacy extends Construct {
  readonly addressMode: TerraformVariable;
  readonly hmacSecretParameter: TerraformVariable;
  readonly hmacSecretId: TerraformVariable;
  readonly queryAllowList: TerraformVariable;
  /** What the functions receive (shared/src/contract/config.ts reads it). */
  readonly environment: Record<string, string>;
  private readonly secretArn: TerraformLocal;
  private readonly hmac: string;

  constructor(scope: Construct, id: string, props: PrivacyProps) {
    super(scope, id);
    const v = (name: string, config: ConstructorParameters<typeof TerraformVariable>[2]) => {
      const variable = new TerraformVariable(scope, name, config);
      variable.overrideLogicalId(name);
      return variable;
    };
    this.addressMode = v('client_address_mode', {
      type: 'string',
      default: 'truncate',
      description: 'How client addresses are stored: truncate (IPv4 /24, IPv6 /48), hmac (a keyed hash; set one secret source) or keep (the full address: an explicit opt-in).',
      validation: [{ condition: `\${contains(${hclList(ADDRESS_MODES)}, var.client_address_mode)}`, errorMessage: `client_address_mode must be one of ${ADDRESS_MODES.join(', ')}.` }],
    });
    this.hmacSecretParameter = v('client_address_hmac_secret_parameter', {
      type: 'string',
      default: '',
      description: 'hmac mode: name of the SSM SecureString parameter holding the key (at least 16 bytes), e.g. /clickstream/prod/address-key.',
    });
    this.hmacSecretId = v('client_address_hmac_secret_id', {
      type: 'string',
      default: '',
      description: 'hmac mode: name or ARN of the Secrets Manager secret holding the key (instead of the parameter).',
    });
    this.queryAllowList = v('url_query_allow_list', {
      type: 'list(string)',
      default: [...DEFAULT_QUERY_ALLOW_LIST],
      description: 'Query parameters stored URLs keep (names, or prefix* patterns); every other parameter is dropped before storage. [] keeps none.',
    });
    this.hmac = Token.asString(Op.eq(this.addressMode.stringValue, 'hmac'));
    this.environment = {
      [ENV.clientAddressMode]: this.addressMode.stringValue,
      [ENV.clientAddressHmacSecretParameter]: this.hmacSecretParameter.stringValue,
      [ENV.clientAddressHmacSecretId]: this.hmacSecretId.stringValue,
      // An empty variable means the default to the functions, so "keep none" is spelled out.
      [ENV.urlQueryAllowList]: Token.asString(Fn.conditional(Op.eq(Fn.lengthOf(this.queryAllowList.listValue), 0), 'none', Fn.join(',', this.queryAllowList.listValue))),
    };
    const parameterArn = `arn:${props.partition}:ssm:${props.region}:${props.accountId}:parameter/${Fn.trimprefix(this.hmacSecretParameter.stringValue, '/')}`;
    const secretNameArn = `arn:${props.partition}:secretsmanager:${props.region}:${props.accountId}:secret:${this.hmacSecretId.stringValue}-*`;
    this.secretArn = new TerraformLocal(this, 'hmac-secret-arn', Fn.conditional(Op.neq(this.hmacSecretParameter.stringValue, ''), parameterArn, Fn.conditional(Fn.startswith(this.hmacSecretId.stringValue, 'arn:'), this.hmacSecretId.stringValue, secretNameArn)));
    this.secretArn.overrideLogicalId('client_address_hmac_secret_arn');
  }

  /** Lets `role` read the HMAC secret, in hmac mode only; refuses to plan without exactly one source. */
  grantSecretRead(role: IamRole, id: string, roleName: string): IamRolePolicy {
    return new IamRolePolicy(this, id, {
      count: Token.asNumber(Fn.conditional(this.hmac, 1, 0)),
      name: `${roleName}-address-key`,
      role: role.id,
      policy: policyDocument([
        {
          Sid: 'ReadAddressKey',
          Effect: 'Allow',
          Action: ['ssm:GetParameter', 'secretsmanager:GetSecretValue'],
          Resource: this.secretArn.asString,
        },
      ]),
      lifecycle: {
        precondition: [
          {
            condition: Op.neq(Op.eq(this.hmacSecretParameter.stringValue, ''), Op.eq(this.hmacSecretId.stringValue, '')),
            errorMessage: 'client_address_mode "hmac" needs exactly one of client_address_hmac_secret_parameter and client_address_hmac_secret_id.',
          },
        ],
      },
    });
  }
}
