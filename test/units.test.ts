import { bytes, count, cores, Duration, mebibytes, milliseconds, percent, perHour, perMinute, perSecond, Quantity, Ratio, ratio, Rate, seconds, Units, usd } from '../lib/units';

describe('typed quantities', () => {
  test('percent and ratio are one dimension', () => {
    expect(percent(5).in(Units.RATIO)).toBe(0.05);
    expect(ratio(0.05).in(Units.PERCENT)).toBe(5);
    expect(percent(5).dimension).toBe(ratio(0.05).dimension);
  });

  test('rates convert exactly between per second, per minute and per hour', () => {
    expect(perSecond(1).in(Units.PER_HOUR)).toBe(3600);
    expect(perMinute(2).in(Units.PER_HOUR)).toBe(120);
    expect(perHour(7200).in(Units.PER_SECOND)).toBe(2);
    expect(Units.PER_SECOND.factorTo(Units.PER_HOUR)).toBe(3600);
    expect(Units.PERCENT.factorTo(Units.RATIO)).toBe(0.01);
  });

  test('other units convert', () => {
    expect(milliseconds(250).in(Units.SECONDS)).toBe(0.25);
    expect(mebibytes(2).in(Units.BYTES)).toBe(2 * 1024 * 1024);
    expect(bytes(1048576).in(Units.MEBIBYTES)).toBe(1);
  });

  test('quantities print for people', () => {
    expect(percent(5).toString()).toBe('5%');
    expect(ratio(0.1).toString()).toBe('10%');
    expect(perHour(1).toString()).toBe('1 per hour');
    expect(seconds(1).toString()).toBe('1 second');
    expect(seconds(2.5).toString()).toBe('2.5 seconds');
    expect(count(80).toString()).toBe('80');
    expect(usd(1000).toString()).toBe('1000 USD');
    expect(cores(0.5).toString()).toBe('0.5 cores');
    expect(percent(5).times(1.05).toString()).toBe('5.25%');
  });

  test('a quantity must be finite', () => {
    expect(() => percent(NaN)).toThrow('Quantity: invalid amount in percent "NaN": a finite number (not NaN or Infinity)');
    expect(() => seconds(Infinity)).toThrow('finite');
  });

  test('a quantity of another dimension does not compile', () => {
    const threshold: Ratio = percent(5);
    // @ts-expect-error seconds are not a ratio
    const wrong1: Ratio = seconds(1);
    // @ts-expect-error a count is not a rate
    const wrong2: Rate = count(1);
    // @ts-expect-error a percent unit cannot convert a rate
    perHour(1).in(Units.PERCENT);
    // @ts-expect-error bytes are not USD
    const wrong3: Quantity<'usd'> = bytes(1);
    expect([threshold, wrong1, wrong2, wrong3].length).toBe(4);
  });

  test('Duration stays the type of periods', () => {
    expect(Duration.minutes(5).toPromDuration()).toBe('5m');
  });
});
