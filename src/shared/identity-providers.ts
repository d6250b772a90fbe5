/** IDENTITY_PROVIDERS name the identity providers a user may sign up and sign in with, as OIDC_PROVIDERS keys them. */
export const IDENTITY_PROVIDERS = ["GOOGLE", "APPLE", "ENTERPRISE"] as const;

/** IdentityProviderName is one of IDENTITY_PROVIDERS. */
export type IdentityProviderName = (typeof IDENTITY_PROVIDERS)[number];

/** isIdentityProviderName says whether name is one of IDENTITY_PROVIDERS. */
export const isIdentityProviderName = (name: string): name is IdentityProviderName => (IDENTITY_PROVIDERS as readonly string[]).includes(name);

/** REGISTRATION_TYPES are how an account was created: with a password, or with one of the providers. */
export const REGISTRATION_TYPES = ["email", "google", "apple", "enterprise"] as const;

/** RegistrationTypeValue is one of REGISTRATION_TYPES. */
export type RegistrationTypeValue = (typeof REGISTRATION_TYPES)[number];

/** providerOfRegistration is the identity provider that proves a federated registration type. */
export function providerOfRegistration(type: Exclude<RegistrationTypeValue, "email">): IdentityProviderName {
  return type.toUpperCase() as Uppercase<typeof type>;
}
