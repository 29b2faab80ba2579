// DorsiLab reference firmware: a 4-load-cell force plate (4 x HX711) speaking the
// DorsiLab line protocol, version 1 (drivers/PROTOCOL.md).
//
//   $FP,<seq>,<t_us>,<TR>,<BR>,<TL>,<BL>*hh      one sample (tared HX711 counts)
//   $INFO,<model>,<fw>,<rate>,counts,1,<serial>*hh   reply to "?" and once at power-up
//   $OK,<cmd>[,<value>]*hh  /  $ERR,<code>,<text>*hh
//
// Host commands, one per line: ?  T  R<hz>  S  G   (see PROTOCOL.md section 4).
//
// The loop never blocks: each HX711 is read as soon as its DOUT goes low (conversion
// ready); a sample is emitted when all four cells have a fresh reading and the output
// period has elapsed. Tare is a small state machine over ~0.5 s of readings, and its
// offsets (and the rate) are stored in EEPROM so they survive a power cycle.
//
// Build: Arduino IDE or `arduino-cli compile --fqbn arduino:avr:uno drivers/firmware/dorsilab_plate`
// Wiring and plate geometry: README.md next to this file.

#include <Arduino.h>
#include <EEPROM.h>
#include <stddef.h>

// ------------------------------------------------------------------ configuration
#define MODEL "DorsiLab-4C"
#define FIRMWARE "1.0.0"
#ifndef BOARD_SERIAL
#define BOARD_SERIAL ""  // set per board, e.g. -DBOARD_SERIAL=\"DL-0007\"
#endif
const unsigned long BAUD = 115200;
const uint16_t MAX_RATE_HZ = 80;      // HX711 with RATE pin high: 80 SPS
const uint16_t DEFAULT_RATE_HZ = 80;
const uint8_t TARE_SAMPLES = 40;      // ~0.5 s at 80 SPS
const long TARE_MAX_SPREAD = 2000;    // counts; more spread means the plate moved
const unsigned long SENSOR_TIMEOUT_MS = 500;
const uint8_t COMMAND_MAX = 32;

// Cell order of the protocol: TR, BR, TL, BL (patient's view, T = toes, R = right).
const uint8_t CELLS = 4;
const uint8_t DOUT_PIN[CELLS] = {2, 4, 6, 8};
const uint8_t SCK_PIN[CELLS] = {3, 5, 7, 9};
const char *const CELL_NAME[CELLS] = {"TR", "BR", "TL", "BL"};

// ------------------------------------------------------------------ stored settings
struct Settings {
  uint16_t magic;
  uint16_t rate_hz;
  long offset[CELLS];
  uint8_t check;
};
const uint16_t SETTINGS_MAGIC = 0xD15A;

Settings settings;

uint8_t settingsCheck(const Settings &s) {
  const uint8_t *p = reinterpret_cast<const uint8_t *>(&s);
  uint8_t x = 0;
  for (size_t i = 0; i < offsetof(Settings, check); i++) x ^= p[i];
  return x;
}

void loadSettings() {
#if defined(ESP8266) || defined(ESP32)
  EEPROM.begin(sizeof(Settings));
#endif
  EEPROM.get(0, settings);
  if (settings.magic != SETTINGS_MAGIC || settings.check != settingsCheck(settings) ||
      settings.rate_hz < 1 || settings.rate_hz > MAX_RATE_HZ) {
    settings.magic = SETTINGS_MAGIC;
    settings.rate_hz = DEFAULT_RATE_HZ;
    for (uint8_t c = 0; c < CELLS; c++) settings.offset[c] = 0;
  }
}

void saveSettings() {
  settings.check = settingsCheck(settings);
  EEPROM.put(0, settings);
#if defined(ESP8266) || defined(ESP32)
  EEPROM.commit();
#endif
}

// ------------------------------------------------------------------ HX711
// 24-bit two's complement, MSB first; a 25th clock pulse selects channel A, gain 128
// for the next conversion (26 = B/32, 27 = A/64). Interrupts are held off during the
// pulse train: SCK high for more than 60 us would power the chip down.
long readHx711(uint8_t cell) {
  uint32_t value = 0;
  noInterrupts();
  for (uint8_t i = 0; i < 24; i++) {
    digitalWrite(SCK_PIN[cell], HIGH);
    delayMicroseconds(1);
    value = (value << 1) | (digitalRead(DOUT_PIN[cell]) ? 1 : 0);
    digitalWrite(SCK_PIN[cell], LOW);
    delayMicroseconds(1);
  }
  digitalWrite(SCK_PIN[cell], HIGH);
  delayMicroseconds(1);
  digitalWrite(SCK_PIN[cell], LOW);
  interrupts();
  if (value & 0x800000UL) value |= 0xFF000000UL;  // sign-extend
  return static_cast<long>(value);
}

bool hx711Ready(uint8_t cell) { return digitalRead(DOUT_PIN[cell]) == LOW; }

// ------------------------------------------------------------------ output
uint8_t checksum(const char *body) {
  uint8_t x = 0;
  while (*body) x ^= static_cast<uint8_t>(*body++);
  return x;
}

// Sends "$<body>*hh\r\n" as one piece. A reply (maxWaitUs = 0) is always sent, waiting
// for room in the transmit buffer if needed. A sample waits at most maxWaitUs for the
// buffer to drain (at BAUD, 10 bits per byte); if the link is too slow for the rate the
// sample is dropped instead, and the gap in seq tells the host. Returns false if dropped.
bool sendLine(const char *body, unsigned long maxWaitUs) {
  char tail[6];
  snprintf(tail, sizeof(tail), "*%02X\r\n", checksum(body));
  long length = static_cast<long>(strlen(body) + 1 + strlen(tail));
  long missing = length - Serial.availableForWrite();
  if (maxWaitUs > 0 && missing > 0 &&
      static_cast<unsigned long>(missing) * 10000000UL / BAUD > maxWaitUs) {
    return false;
  }
  Serial.write('$');
  Serial.write(body);
  Serial.write(tail);
  return true;
}

void sendInfo() {
  char body[96];
  snprintf(body, sizeof(body), "INFO,%s,%s,%u,counts,1,%s", MODEL, FIRMWARE,
           settings.rate_hz, BOARD_SERIAL);
  sendLine(body, 0);
}

void sendOk(const char *command, long value, bool withValue) {
  char body[32];
  if (withValue) {
    snprintf(body, sizeof(body), "OK,%s,%ld", command, value);
  } else {
    snprintf(body, sizeof(body), "OK,%s", command);
  }
  sendLine(body, 0);
}

void sendError(uint8_t code, const char *text) {
  char body[80];
  snprintf(body, sizeof(body), "ERR,%u,%s", code, text);
  sendLine(body, 0);
}

// ------------------------------------------------------------------ state
long latest[CELLS];
bool fresh[CELLS];
unsigned long lastReadyMs[CELLS];
unsigned long lastErrorMs = 0;
bool streaming = true;
uint32_t seq = 0;
unsigned long nextEmitUs = 0;
bool restartSchedule = true;

// Tare state machine.
bool taring = false;
uint8_t tareCount = 0;
long tareSum[CELLS];  // HX711 values fit in 24 bits; 40 of them fit in a long
long tareMin[CELLS], tareMax[CELLS];

void startTare() {
  taring = true;
  tareCount = 0;
  for (uint8_t c = 0; c < CELLS; c++) {
    tareSum[c] = 0;
    tareMin[c] = 0x7FFFFFFFL;
    tareMax[c] = -0x7FFFFFFFL;
  }
}

void tareStep() {
  for (uint8_t c = 0; c < CELLS; c++) {
    tareSum[c] += latest[c];
    if (latest[c] < tareMin[c]) tareMin[c] = latest[c];
    if (latest[c] > tareMax[c]) tareMax[c] = latest[c];
  }
  if (++tareCount < TARE_SAMPLES) return;
  taring = false;
  for (uint8_t c = 0; c < CELLS; c++) {
    if (tareMax[c] - tareMin[c] > TARE_MAX_SPREAD) {
      sendError(4, "tare failed: keep the plate still and unloaded");
      return;
    }
  }
  for (uint8_t c = 0; c < CELLS; c++) settings.offset[c] = tareSum[c] / TARE_SAMPLES;
  saveSettings();
  sendOk("T", 0, false);
}

// ------------------------------------------------------------------ commands
char command[COMMAND_MAX + 1];
uint8_t commandLength = 0;
bool commandTooLong = false;

void handleCommand(char *text) {
  while (*text == ' ') text++;
  char letter = text[0];
  char *argument = text + 1;
  while (*argument == ' ') argument++;
  if (letter == '\0') return;
  if (letter == '?' && *argument == '\0') {
    sendInfo();
  } else if (letter == 'T' && *argument == '\0') {
    startTare();
  } else if (letter == 'R') {
    char *end;
    long hz = strtol(argument, &end, 10);
    while (*end == ' ') end++;
    if (end == argument || *end != '\0' || hz < 1 || hz > MAX_RATE_HZ) {
      char text2[40];
      snprintf(text2, sizeof(text2), "rate must be 1-%u Hz", MAX_RATE_HZ);
      sendError(2, text2);
      return;
    }
    settings.rate_hz = static_cast<uint16_t>(hz);
    saveSettings();
    sendOk("R", hz, true);
  } else if (letter == 'S' && *argument == '\0') {
    streaming = false;
    sendOk("S", 0, false);
  } else if (letter == 'G' && *argument == '\0') {
    streaming = true;
    restartSchedule = true;
    sendOk("G", 0, false);
  } else {
    sendError(1, "unknown command");
  }
}

void pollSerial() {
  while (Serial.available() > 0) {
    char c = static_cast<char>(Serial.read());
    if (c == '\r' || c == '\n') {
      if (commandTooLong) {
        sendError(5, "command too long");
      } else {
        command[commandLength] = '\0';
        handleCommand(command);
      }
      commandLength = 0;
      commandTooLong = false;
    } else if (commandLength < COMMAND_MAX) {
      command[commandLength++] = c;
    } else {
      commandTooLong = true;
    }
  }
}

// ------------------------------------------------------------------ sampling
void pollCells() {
  unsigned long nowMs = millis();
  for (uint8_t c = 0; c < CELLS; c++) {
    if (hx711Ready(c)) {
      latest[c] = readHx711(c);
      fresh[c] = true;
      lastReadyMs[c] = nowMs;
    } else if (nowMs - lastReadyMs[c] > SENSOR_TIMEOUT_MS && nowMs - lastErrorMs > 1000) {
      char text[48];
      snprintf(text, sizeof(text), "%s amplifier not responding", CELL_NAME[c]);
      sendError(3, text);
      lastErrorMs = nowMs;
    }
  }
  for (uint8_t c = 0; c < CELLS; c++) {
    if (!fresh[c]) return;
  }
  // A complete set of four conversions.
  for (uint8_t c = 0; c < CELLS; c++) fresh[c] = false;
  unsigned long nowUs = micros();
  if (taring) tareStep();
  if (!streaming) return;
  // Emit on a fixed schedule (nextEmitUs advances by exactly one period), accepting a set
  // up to 1/8 period early to absorb conversion jitter; after a stall, restart the schedule.
  unsigned long periodUs = 1000000UL / settings.rate_hz;
  if (restartSchedule) {  // first sample after power-up or G: the schedule starts here
    restartSchedule = false;
    nextEmitUs = nowUs;
  }
  long early = static_cast<long>(nextEmitUs - nowUs);
  if (early > static_cast<long>(periodUs / 8)) return;
  nextEmitUs += periodUs;
  if (static_cast<long>(nowUs - nextEmitUs) > 0) nextEmitUs = nowUs + periodUs;
  char body[96];
  snprintf(body, sizeof(body), "FP,%lu,%lu,%ld,%ld,%ld,%ld", static_cast<unsigned long>(seq),
           nowUs, latest[0] - settings.offset[0], latest[1] - settings.offset[1],
           latest[2] - settings.offset[2], latest[3] - settings.offset[3]);
  sendLine(body, periodUs / 2);  // lost only if the link cannot keep up: seq shows it
  seq++;
}

// ------------------------------------------------------------------ Arduino entry points
void setup() {
  for (uint8_t c = 0; c < CELLS; c++) {
    pinMode(DOUT_PIN[c], INPUT);
    pinMode(SCK_PIN[c], OUTPUT);
    digitalWrite(SCK_PIN[c], LOW);
    fresh[c] = false;
    lastReadyMs[c] = millis();
  }
  Serial.begin(BAUD);
  loadSettings();
  sendInfo();
}

void loop() {
  pollSerial();
  pollCells();
}
