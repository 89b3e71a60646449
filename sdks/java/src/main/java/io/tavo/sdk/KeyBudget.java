package io.tavo.sdk;

/**
 * What is known of one API key's budget ({@code client.rateLimits()}): a snapshot of the remaining
 * count in the binding window, its limit and reset, and the requests in flight. The key itself is
 * never shown: {@code keyHint} is its first characters, enough to tell keys apart in logs.
 */
public record KeyBudget(String keyHint, Integer remaining, Integer limit, String window, Long resetEpoch,
                        int inFlight) {}
