// A contract flow through stripe-node, a second official client, against the emulator:
// its form encoding (nested hashes, arrays, expand[]), list auto-pagination, search,
// idempotent replays, errors as stripe-node's classes, and webhook signatures.
//
// Usage: node tools/node/stripe_contract.mjs http://127.0.0.1:PORT
// Prints "ok <step>" per step; on a failure prints "not ok <step>" and the error, exit 1.
// tests/emulator/test_emulator_stripe_node.py runs it against a fresh emulator.

import assert from 'node:assert/strict';
import http from 'node:http';
import Stripe from 'stripe';

const base = new URL(process.argv[2]);
const stripe = new Stripe('sk_test_stripe_node_contract', {
  host: base.hostname,
  port: base.port,
  protocol: base.protocol.replace(':', ''),
  maxNetworkRetries: 0,
});
const tag = Math.random().toString(36).slice(2, 10);
const steps = [];
const step = (name, run) => steps.push([name, run]);
const state = {};

step('nested parameters are encoded and answered', async () => {
  const product = await stripe.products.create({
    name: `Node ${tag}`,
    metadata: { plan: 'pro', tag },
    marketing_features: [{ name: 'SSO' }, { name: 'Audit log' }],
    package_dimensions: { height: 1.5, length: 2, weight: 3, width: 4 },
  });
  assert.equal(product.object, 'product');
  assert.deepEqual(product.metadata, { plan: 'pro', tag });
  assert.deepEqual(product.marketing_features, [{ name: 'SSO' }, { name: 'Audit log' }]);
  assert.deepEqual(product.package_dimensions, { height: 1.5, length: 2, weight: 3, width: 4 });
  const tiered = await stripe.prices.create({
    product: product.id,
    currency: 'usd',
    billing_scheme: 'tiered',
    tiers_mode: 'graduated',
    tiers: [
      { up_to: 10, unit_amount: 500 },
      { up_to: 'inf', unit_amount_decimal: '2.5' },
    ],
    recurring: { interval: 'month' },
    expand: ['tiers'],
  });
  assert.deepEqual(
    tiered.tiers.map((tier) => [tier.up_to, tier.unit_amount, String(tier.unit_amount_decimal)]),
    [
      [10, 500, '500'],
      [null, null, '2.5'],
    ],
  );
  state.product = product;
});

step('list with expand and auto-pagination', async () => {
  for (const amount of [100, 200, 300, 400, 500]) {
    await stripe.prices.create({
      product: state.product.id,
      currency: 'usd',
      unit_amount: amount,
      recurring: { interval: 'month' },
    });
  }
  const seen = [];
  for await (const price of stripe.prices.list({
    product: state.product.id,
    type: 'recurring',
    limit: 2,
    expand: ['data.product'],
  })) {
    assert.equal(typeof price.product, 'object');
    assert.equal(price.product.id, state.product.id);
    seen.push(price.unit_amount);
  }
  // Newest first, six prices over three pages and a last one.
  assert.deepEqual(seen, [500, 400, 300, 200, 100, null]);
  const all = await stripe.prices.list({ product: state.product.id, limit: 4 }).autoPagingToArray({
    limit: 10,
  });
  assert.equal(all.length, 6);
});

step('search', async () => {
  const found = await stripe.products.search({
    query: `metadata['tag']:'${tag}'`,
    expand: ['total_count'],
  });
  assert.equal(found.object, 'search_result');
  assert.deepEqual(
    found.data.map((product) => product.id),
    [state.product.id],
  );
  assert.equal(found.total_count, 1);
  const none = await stripe.products.search({ query: `metadata['tag']:'none-${tag}'` });
  assert.deepEqual(none.data, []);
});

step('idempotent replay', async () => {
  const key = `node-${tag}`;
  const first = await stripe.customers.create(
    { email: `${tag}@example.com` },
    { idempotencyKey: key },
  );
  const again = await stripe.customers.create(
    { email: `${tag}@example.com` },
    { idempotencyKey: key },
  );
  assert.equal(again.id, first.id);
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');
  await assert.rejects(
    stripe.customers.create({ email: `other-${tag}@example.com` }, { idempotencyKey: key }),
    (error) => {
      assert.ok(error instanceof Stripe.errors.StripeIdempotencyError, error.constructor.name);
      assert.equal(error.statusCode, 400);
      return true;
    },
  );
  state.customer = first;
});

step('errors are StripeInvalidRequestError with Stripe fields', async () => {
  await assert.rejects(stripe.products.retrieve(`prod_missing_${tag}`), (error) => {
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError, error.constructor.name);
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, 'resource_missing');
    assert.equal(error.param, 'id');
    assert.equal(error.message, `No such product: 'prod_missing_${tag}'`);
    assert.match(error.requestId, /^req_/);
    return true;
  });
  await assert.rejects(
    stripe.prices.create({ product: state.product.id, currency: 'usd', unit_amount: -100 }),
    (error) => {
      assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(error.code, 'parameter_invalid_integer');
      assert.equal(error.param, 'unit_amount');
      assert.equal(error.message, 'This value must be greater than or equal to 0.');
      return true;
    },
  );
  await assert.rejects(stripe.products.create({ name: 'x', colour: 'red' }), (error) => {
    assert.ok(error instanceof Stripe.errors.StripeInvalidRequestError);
    assert.equal(error.code, 'parameter_unknown');
    assert.equal(error.message, 'Received unknown parameter: colour');
    return true;
  });
  await assert.rejects(
    stripe.paymentMethods.attach('pm_card_chargeDeclined', { customer: state.customer.id }),
    (error) => {
      assert.ok(error instanceof Stripe.errors.StripeCardError, error.constructor.name);
      assert.equal(error.statusCode, 402);
      assert.equal(error.code, 'card_declined');
      return true;
    },
  );
});

step('webhook signatures verify with stripe.webhooks', async () => {
  let deliver;
  const delivered = new Promise((resolve) => (deliver = resolve));
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      response.end('ok');
      deliver({ body: Buffer.concat(chunks), signature: request.headers['stripe-signature'] });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = await stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${server.address().port}/hook`,
      enabled_events: ['product.updated'],
    });
    await stripe.products.update(state.product.id, { name: `Renamed ${tag}` });
    const { body, signature } = await delivered;
    const event = stripe.webhooks.constructEvent(body, signature, endpoint.secret);
    assert.equal(event.type, 'product.updated');
    assert.equal(event.data.object.name, `Renamed ${tag}`);
    assert.equal(event.data.previous_attributes.name, `Node ${tag}`);
    assert.equal(event.api_version, Stripe.API_VERSION);
    assert.throws(
      () => stripe.webhooks.constructEvent(body, signature, 'whsec_not_the_secret'),
      Stripe.errors.StripeSignatureVerificationError,
    );
    await stripe.webhookEndpoints.del(endpoint.id);
  } finally {
    server.close();
  }
});

let failed = 0;
for (const [name, run] of steps) {
  try {
    await run();
    console.log(`ok ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`not ok ${name}`);
    console.log(error && error.stack ? error.stack : String(error));
  }
}
process.exit(failed ? 1 : 0);
