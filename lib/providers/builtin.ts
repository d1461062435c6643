import { adyen } from './adyen';
import { checkout } from './checkout';
import { cybersource } from './cybersource';
import { firstoken } from './firstoken';
import { lithic } from './lithic';
import { mastercard } from './mastercard';
import { ni } from './ni';
import { razorpay } from './razorpay';
import { stripe } from './stripe';
import { tokenex } from './tokenex';

/**
 * The providers `createTokenWebhooks` mounts by name (`webhooks.<name>(options)`, `webhooks.endpoint('<name>', options)`):
 * the registry that the test kit, the sender CLI and the demo loop over. A provider is added here, by its module.
 */
export const builtinProviders = { cybersource, tokenex, ni, firstoken, checkout, stripe, razorpay, mastercard, adyen, lithic } as const;

/** The built-in providers by name. */
export type BuiltinProviders = typeof builtinProviders;
export type BuiltinProviderName = keyof BuiltinProviders;

// Each provider's public types, exported by the package.
export type { CybersourcePayload, CybersourceNotification, CybersourceLink, CybersourceOptions, CybersourceKeys, CybersourceReason, CybersourceTestKey } from './cybersource';
export type { CybersourceSignatureOptions } from './cybersource-signature';
export type { TokenExPayload, TokenExMessage, TokenExOptions } from './tokenex';
export type { NiPayload, NiOptions, NiNotificationType, NiTokenEventIndicator, NiAuth } from './ni';
export type { FirstokenPayload, FirstokenFields, FirstokenStatus, FirstokenOptions, FirstokenMapping, FirstokenAuth } from './firstoken';
export type { FirstokenSignatureOptions } from './firstoken-signature';
export type { CheckoutPayload, CheckoutNetworkToken, CheckoutTokenState, CheckoutOptions, CheckoutAuth, CheckoutTestSecret } from './checkout';
export type { StripePayload, StripeIssuingToken, StripeTokenStatus, StripeOptions, StripeAuth, StripeTestSecret } from './stripe';
export type { RazorpayPayload, RazorpayEvent, RazorpayWrappedEvent, RazorpayToken, RazorpayServiceProviderToken, RazorpayOptions, RazorpayAuth, RazorpayTestSecret } from './razorpay';
export type {
  MastercardPayload, MastercardToken, MastercardTokenStatus, MastercardProductConfig, MastercardTokenInfo, MastercardOptions, MastercardAuth,
  MastercardDecryption, MastercardDecryptionKey, MastercardTestSecret,
} from './mastercard';
export type {
  AdyenPayload, AdyenNetworkTokenNotification, AdyenTokenizationNotification, AdyenOtherNotification, AdyenNetworkToken, AdyenStoredToken,
  AdyenNetworkTokenStatus, AdyenNetworkTokenEvent, AdyenTokenizationEvent, AdyenOptions, AdyenAuth, AdyenTestSecret,
} from './adyen';
export type {
  LithicPayload, LithicTokenizationUpdated, LithicTokenizationNotice, LithicOtherEvent, LithicTokenization, LithicTokenizationStatus,
  LithicTokenizationUpdate, LithicTokenizationEvent, LithicOptions, LithicAuth,
} from './lithic';
