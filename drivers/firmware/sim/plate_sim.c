/* plate_sim: run the DorsiLab plate firmware on a simulated Arduino Uno (simavr) with four
 * simulated HX711 amplifiers and a scripted host, printing the board's UART bytes.
 *
 *   plate_sim <firmware.elf> <script> <duration_ms>
 *
 * Script lines (times in simulated milliseconds, in any order):
 *   <ms> send <text>           host writes <text> followed by LF
 *   <ms> load <cell> <counts>  cell 0-3 (TR, BR, TL, BL) converts to <counts> from now on
 *   <ms> noise <counts>        +/- <counts> pseudo-random noise on every conversion
 *   <ms> silent <cell>         that amplifier stops converting (DOUT stays high)
 *
 * HX711 model (datasheet): DOUT low = conversion ready; on each rising PD_SCK edge the next
 * of 24 bits (MSB first, two's complement) appears on DOUT; the 25th pulse ends the read
 * and DOUT stays high until the next conversion, every 12.5 ms (80 SPS, free-running).
 *
 * Build: cc -O2 -o plate_sim plate_sim.c -lsimavr   (Debian: libsimavr-dev)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <simavr/avr_ioport.h>
#include <simavr/avr_uart.h>
#include <simavr/sim_avr.h>
#include <simavr/sim_elf.h>
#include <simavr/sim_time.h>

#define CELLS 4
#define CONVERSION_US 12500

typedef struct cell_t {
  char dout_port, sck_port;
  int dout_pin, sck_pin;
  avr_irq_t *dout;
  int32_t base;
  uint32_t shift;
  int pulses, sck_level, silent, index;
} cell_t;

/* Arduino Uno: TR D2/D3, BR D4/D5, TL D6/D7, BL D8/D9 (D8 = PB0, D9 = PB1). */
static cell_t cells[CELLS] = {
    {'D', 'D', 2, 3, NULL, 0, 0, 0, 0, 0, 0},
    {'D', 'D', 4, 5, NULL, 0, 0, 0, 0, 0, 1},
    {'D', 'D', 6, 7, NULL, 0, 0, 0, 0, 0, 2},
    {'B', 'B', 0, 1, NULL, 0, 0, 0, 0, 0, 3},
};
static avr_t *avr;
static int32_t noise_counts = 0;
static uint32_t lcg = 12345;

static int32_t noise(void) {
  if (noise_counts == 0) return 0;
  lcg = lcg * 1103515245u + 12345u;
  return (int32_t)((lcg >> 8) % (uint32_t)(2 * noise_counts + 1)) - noise_counts;
}

/* The converter free-runs at 80 SPS: every 12.5 ms a new result replaces the old one,
 * unless a read is in progress (then that conversion is lost, as on the chip). */
static avr_cycle_count_t conversion_done(avr_t *a, avr_cycle_count_t when, void *param) {
  cell_t *c = (cell_t *)param;
  if (c->silent) {
    avr_raise_irq(c->dout, 1);
    return 0;
  }
  if (c->pulses == 0 || c->pulses >= 25) {
    c->shift = (uint32_t)(c->base + noise()) & 0xFFFFFFu;
    c->pulses = 0;
    avr_raise_irq(c->dout, 0); /* ready */
  }
  return when + avr_usec_to_cycles(a, CONVERSION_US);
}

static void sck_changed(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  cell_t *c = (cell_t *)param;
  int rising = value && !c->sck_level;
  c->sck_level = value ? 1 : 0;
  if (!rising) return;
  if (c->pulses < 24) {
    avr_raise_irq(c->dout, (c->shift >> (23 - c->pulses)) & 1u);
  }
  c->pulses++;
  if (c->pulses == 25) avr_raise_irq(c->dout, 1); /* busy until the next conversion */
}

static void uart_out(avr_irq_t *irq, uint32_t value, void *param) {
  (void)irq;
  (void)param;
  fputc((int)(value & 0xFF), stdout);
}

typedef struct event_t {
  char kind[8];
  int cell;
  long number;
  char text[80];
} event_t;

static avr_cycle_count_t run_event(avr_t *a, avr_cycle_count_t when, void *param) {
  (void)when;
  event_t *e = (event_t *)param;
  if (strcmp(e->kind, "send") == 0) {
    avr_irq_t *in = avr_io_getirq(a, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_INPUT);
    for (const char *p = e->text; *p; p++) avr_raise_irq(in, (uint8_t)*p);
    avr_raise_irq(in, '\n');
  } else if (strcmp(e->kind, "load") == 0) {
    cells[e->cell].base = (int32_t)e->number;
  } else if (strcmp(e->kind, "noise") == 0) {
    noise_counts = (int32_t)e->number;
  } else if (strcmp(e->kind, "silent") == 0) {
    cells[e->cell].silent = 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s firmware.elf script duration_ms\n", argv[0]);
    return 2;
  }
  elf_firmware_t firmware;
  memset(&firmware, 0, sizeof(firmware));
  if (elf_read_firmware(argv[1], &firmware) != 0) {
    fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  avr = avr_make_mcu_by_name("atmega328p");
  if (!avr) return 1;
  avr_init(avr);
  avr->frequency = 16000000;
  avr_load_firmware(avr, &firmware);
  avr->log = 0;

  uint32_t flags = 0;
  avr_ioctl(avr, AVR_IOCTL_UART_GET_FLAGS('0'), &flags);
  flags &= ~(uint32_t)(AVR_UART_FLAG_STDIO | AVR_UART_FLAG_POLL_SLEEP);
  avr_ioctl(avr, AVR_IOCTL_UART_SET_FLAGS('0'), &flags);
  avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_UART_GETIRQ('0'), UART_IRQ_OUTPUT),
                          uart_out, NULL);

  for (int i = 0; i < CELLS; i++) {
    cell_t *c = &cells[i];
    c->dout = avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(c->dout_port), c->dout_pin);
    avr_raise_irq(c->dout, 1);
    avr_irq_register_notify(avr_io_getirq(avr, AVR_IOCTL_IOPORT_GETIRQ(c->sck_port), c->sck_pin),
                            sck_changed, c);
    /* independent converters: first conversions slightly apart */
    avr_cycle_timer_register_usec(avr, CONVERSION_US + 150 * i, conversion_done, c);
  }

  FILE *script = fopen(argv[2], "r");
  if (!script) {
    fprintf(stderr, "cannot open %s\n", argv[2]);
    return 1;
  }
  char line[160];
  while (fgets(line, sizeof(line), script)) {
    event_t *e = calloc(1, sizeof(event_t));
    long ms = 0;
    int used = 0;
    if (sscanf(line, "%ld %7s %n", &ms, e->kind, &used) < 2) {
      free(e);
      continue;
    }
    const char *rest = line + used;
    if (strcmp(e->kind, "send") == 0) {
      snprintf(e->text, sizeof(e->text), "%s", rest);
      e->text[strcspn(e->text, "\r\n")] = '\0';
    } else if (strcmp(e->kind, "load") == 0) {
      sscanf(rest, "%d %ld", &e->cell, &e->number);
    } else if (strcmp(e->kind, "noise") == 0) {
      sscanf(rest, "%ld", &e->number);
    } else if (strcmp(e->kind, "silent") == 0) {
      sscanf(rest, "%d", &e->cell);
    }
    avr_cycle_timer_register(avr, avr_usec_to_cycles(avr, (uint32_t)(ms * 1000)), run_event, e);
  }
  fclose(script);

  avr_cycle_count_t end = avr_usec_to_cycles(avr, (uint32_t)(atol(argv[3]) * 1000));
  int state = cpu_Running;
  while (avr->cycle < end && state != cpu_Done && state != cpu_Crashed) state = avr_run(avr);
  fflush(stdout);
  return state == cpu_Crashed ? 1 : 0;
}
