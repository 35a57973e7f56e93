import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { collectParams } from '../../api/protocol/params.js';
import { readCredential } from '../../api/protocol/signatures.js';
import { signAcs3 } from './acs3-signer.js';

// The v7 SDK's runtime: its own getAuthorization is the reference our signer must equal.
const require = createRequire(import.meta.url);
const { OpenApiUtil } = require('@alicloud/openapi-core') as {
  OpenApiUtil: {
    getAuthorization(
      request: { pathname: string; method: string; query: object; headers: object },
      algorithm: string,
      payloadHex: string,
      accessKeyId: string,
      secret: string,
    ): string;
  };
};

const EMPTY_SHA256 = crypto.createHash('sha256').update('').digest('hex');

const PARAMS = {
  RegionId: 'cn-hangzhou',
  ImageName: "name with spaces/slash*star~tilde!bang(paren)'quote+plus中文",
  'Tag.1.Key': 'env',
  'Tag.1.Value': '',
  'Tag.10.Key': 'sorts before Tag.2',
  'Tag.2.Key': 'k2',
};

describe('ACS3 signer of the CLI', () => {
  it('produces the same Authorization header as @alicloud/openapi-core', () => {
    const date = new Date('2026-01-02T03:04:05.678Z');
    const nonce = 'a'.repeat(64);
    const signed = signAcs3({
      action: 'DescribeImages',
      params: PARAMS,
      host: '127.0.0.1:8080',
      accessKeyId: 'LTAIexample',
      accessKeySecret: 'secret-value-0123456789',
      date,
      nonce,
    });

    const { authorization, accept: _accept, ...signedHeaders } = signed.headers;
    const reference = OpenApiUtil.getAuthorization(
      { pathname: '/', method: 'POST', query: PARAMS, headers: signedHeaders },
      'ACS3-HMAC-SHA256',
      EMPTY_SHA256,
      'LTAIexample',
      'secret-value-0123456789',
    );
    expect(signed.headers['x-acs-date']).toBe('2026-01-02T03:04:05Z');
    expect(authorization).toBe(reference);
  });

  it('is verified by the gateway, and a changed parameter is not', () => {
    const now = Date.now();
    const signed = signAcs3({
      action: 'DescribeImages',
      params: PARAMS,
      host: 'localhost:9',
      accessKeyId: 'LTAIexample',
      accessKeySecret: 'the-secret-0123456789',
    });
    const raw = {
      method: 'POST',
      url: signed.path,
      headers: signed.headers,
      body: Buffer.alloc(0),
    };
    const credential = readCredential(raw, collectParams(raw), now);
    expect(credential.scheme).toBe('acs3');
    if (credential.scheme === 'bearer') return;
    expect(credential.verify('the-secret-0123456789')).toBe(true);
    expect(credential.verify('another-secret')).toBe(false);

    const tampered = {
      ...raw,
      url: raw.url.replace('RegionId=cn-hangzhou', 'RegionId=cn-beijing'),
    };
    const again = readCredential(tampered, collectParams(tampered), now);
    expect(again.scheme !== 'bearer' && again.verify('the-secret-0123456789')).toBe(false);
  });
});
