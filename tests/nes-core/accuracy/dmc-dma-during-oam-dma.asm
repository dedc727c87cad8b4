; DMC DMA against OAM DMA and CPU writes (NESdev wiki, "DMA" and "APU DMC"): a "reload" DMC DMA
; asks to halt the CPU on a put cycle; it can halt only on a read cycle (a write postpones it to
; the next cycle), then takes a dummy cycle, an alignment cycle when the next one is a put, and
; its get: 4 cycles in code that only reads, 3 when writes postponed the halt onto a get cycle.
; During OAM DMA its halt and dummy cycles overlap OAM DMA's own cycles and its get takes the
; place of an OAM get, which then needs an alignment cycle: 2 cycles in all. At the end of the
; OAM DMA (its last cycle is a put): a halt on the second-to-last put costs 1 cycle, a halt on the
; last put 3 (the DMC's dummy and alignment cycles follow it).
;
; Method. The DMC (rate 8: one output byte per 8 x 190 = 1,520 cycles, 1-byte sample, no loop)
; is the clock: a reload fetch happens only at an output-byte boundary (every 1,520 cycles), and
; only when the program armed one (a $4015 write starting the sample while the buffer is empty
; makes a "load" fetch 3 or 4 cycles later; a second write then leaves one byte to fetch when the
; buffer next empties). `probe` arms a fetch for every other boundary and reads $4015 (bit 4: a
; byte still to fetch) once per 3,039 cycles, one cycle earlier against the boundaries each time,
; until the read comes just before the fetch: it returns the number of reads, which is the
; distance from its first read to the boundary + 2, and leaves the program synchronised with the
; DMC to the cycle. Each run starts right after a probe, arms a fetch for the boundary 3,040
; cycles later (or, for a baseline run, writes $00 instead: no fetch), runs an experiment near
; that boundary with s NOPs before it and 12 - s after it (run s = 0..12: the experiment moves 2
; cycles per run; the DMC asks on put cycles, so the get/put alignment between them stays), and
; probes again: its count minus the baseline's is what the fetch cost.
; Experiment 1: `STA $4014`, the OAM DMA ending 8 cycles before the boundary in run 0 and 16 after
; it in run 12: the fetch comes after it (4 cycles), halts on its last put (3), on its
; second-to-last put (1), then in the middle (2). Experiment 2: `STA $0400` with its write on a
; put cycle, the boundary moving from 12 cycles after the write (run 0) to 12 cycles before it
; (run 12): only the run where the fetch asks to halt on the write (run 6) costs 3.
; Checks (result code; RAM $0300: the probe counts, $0320: experiment 1's costs, $0330: 2's):
;   1  a probe did not find the boundary (count 1: not synchronised, or 60: gave up)
;   2  experiment 1's first run (fetch after the OAM DMA) did not cost 4 cycles
;   3  the first cost other than 4 is not 3 (a halt on OAM DMA's last put)
;   4  the next is not 1 (a halt on its second-to-last put)
;   5  the next three are not 2 (in the middle of the OAM DMA)
;   6  experiment 2: no run cost 3 (a halt postponed by the write onto a get)
;   7  experiment 2: a run cost other than 3 or 4, or more than one cost 3
  .include "shell.asm"

RUNS      = 28          ; experiment 1: baseline + 13 runs; experiment 2: baseline + 13 runs
counts    = $0300       ; RUNS + 1 probe counts: [0] the first synchronisation, [r + 1] after run r
costs1    = $0320       ; 13 bytes (and 3 of $FF after them)
costs2    = $0330       ; 13 bytes
run       = $10
ptr_a     = $11         ; 2 bytes: the entry of the run's first slide (and experiment)
ptr_b     = $13         ; 2 bytes: the entry of the second slide
arm_value = $15         ; $10: arm a fetch, $00: baseline

main:
  lda #<rti_only
  sta irq_ptr
  lda #>rti_only
  sta irq_ptr+1
  ldx #47
  lda #$FF
@fill:
  sta costs1,x
  dex
  bpl @fill
  lda #$08
  sta $4010             ; no IRQ, no loop, rate 8 (190 cycles per bit)
  lda #$00
  sta $4012             ; $C000
  sta $4013             ; 1 byte
  sta run
  jmp sync

rti_only:
  rti

; Cycle numbers below count from the cycle a probe's last fetch asked to halt on (0, a put:
; puts are even). The DMC's next boundaries are at 1,520 and 3,040; the sample buffer the probe's
; fetch filled empties at 1,520 without a fetch.
  .align 256
to_analyse:
  jmp analyse
measure:                ; 18
  ldy run
  txa
  sta counts,y          ; the probe that just returned
  cpy #RUNS
  beq to_analyse
  lda run_a_lo,y
  sta ptr_a
  lda run_a_hi,y
  sta ptr_a+1
  lda run_b_lo,y
  sta ptr_b
  lda run_b_hi,y
  sta ptr_b+1
  lda run_arm,y
  sta arm_value
  inc run
  ldy #0                ; 72: 1,281 cycles
@wait1:
  dey
  bne @wait1
  ldy #56               ; 1,353: 281 cycles
@wait2:
  dey
  bne @wait2
  lda #$10
  sta $4015             ; 1,639: the buffer is empty: the load fetch (1,643-1,645)
  nop
  nop
  nop
  lda arm_value
  sta $4015             ; 1,655: $10: one byte to fetch at 3,040; $00: none
  ldy #170              ; 1,656: 851 cycles
@wait3:
  dey
  bne @wait3
  nop
  jmp (ptr_a)           ; 2,509; the slide from 2,514, s NOPs (run s)

slide_a_oam:
  .res 12, $EA
  lda #$02
  sta $4014             ; write on 2,519 + 2s, a get: 513 cycles, the last (a put) 3,032 + 2s
  jmp (ptr_b)           ; 12 - s NOPs: the same total for every run
slide_a_sta:
  .res 12, $EA
  ldy #102              ; 2,514 + 2s: 511 cycles
@wait4:
  dey
  bne @wait4
  sta $0400             ; write on 3,028 + 2s, a put (3,040 in run 6)
  jmp (ptr_b)
slide_b:
  .res 12, $EA
  ldy #0                ; experiment 1: 3,062, 2: 3,058 (+ the fetch's cost); 1,281 cycles
@wait5:
  dey
  bne @wait5
  ldy #82               ; 411 cycles
@wait6:
  dey
  bne @wait6
  nop
  nop
  jsr probe             ; 4,758: its first arm on 4,771 (after 4,560, where the buffer empties),
  jmp measure           ; its first read 1,319 cycles later: 10 (+ cost) after the boundary

analyse:
  ldy #RUNS             ; 1
@counts:
  lda counts,y
  cmp #2
  bcc @fail1
  cmp #60
  bcs @fail1
  dey
  bpl @counts
  ldy #12
@cost:
  sec
  lda counts+2,y
  sbc counts+1
  sta costs1,y
  sec
  lda counts+16,y
  sbc counts+15
  sta costs2,y
  dey
  bpl @cost
  ldy #0                ; 2
  lda costs1
  cmp #4
  bne @fail2
@after:
  iny
  lda costs1,y
  cmp #4
  beq @after
  cmp #3                ; 3
  bne @fail3
  iny                   ; 4
  lda costs1,y
  cmp #1
  bne @fail4
  ldx #3                ; 5
@middle:
  iny
  lda costs1,y
  cmp #2
  bne @fail5
  dex
  bne @middle
  ldx #0                ; 6, 7: X = runs that cost 3
  ldy #12
@postponed:
  lda costs2,y
  cmp #4
  beq @next
  cmp #3
  bne @fail7
  inx
@next:
  dey
  bpl @postponed
  cpx #0
  beq @fail6
  cpx #1
  bne @fail7
  jmp passed
@fail1:
  lda #1
  jmp finish
@fail2:
  lda #2
  jmp finish
@fail3:
  lda #3
  jmp finish
@fail4:
  lda #4
  jmp finish
@fail5:
  lda #5
  jmp finish
@fail6:
  lda #6
  jmp finish
@fail7:
  lda #7
  jmp finish

; The first synchronisation: arm a fetch, wait for it by polling $4015 (9 cycles a read), then
; probe from about 15 cycles after the next boundary but one.
sync:
  lda #$10
  sta $4015             ; the load fetch
  nop
  nop
  nop
  sta $4015             ; one byte to fetch at the next boundary
@poll:
  lda $4015
  and #$10
  bne @poll
  ldy #0                ; 1,281 cycles
@wait1:
  dey
  bne @wait1
  ldy #85               ; 426 cycles
@wait2:
  dey
  bne @wait2
  bit $10
  jsr probe
  jmp measure

; Returns in X the number of $4015 reads until one came before the armed fetch (see the top);
; entered with the sample buffer empty. Each iteration arms a fetch for the boundary after the
; next one and reads 3,039 cycles after the last read (3,035 cycles of code, the 4-cycle fetch).
  .align 256
probe:
  ldx #0
@iter:
  lda #$10
  sta $4015             ; the load fetch (3 cycles, on the NOPs' reads)
  nop
  nop
  nop
  sta $4015             ; one byte to fetch: at the next boundary
  ldy #0                ; 1,300 cycles
@d1a:
  dey
  bne @d1a
  ldy #3
@d1b:
  dey
  bne @d1b
  bit $10
  inx
  lda $4015             ; bit 4 clear: the fetch came before this read
  and #$10
  bne @done             ; set: this read came first (the fetch halts on the next cycle)
  cpx #60
  beq @done
  ldy #0                ; 1,699 cycles
@d2a:
  dey
  bne @d2a
  ldy #83
@d2b:
  dey
  bne @d2b
  nop
  jmp @iter
@done:
  rts

  .align 256
run_a_lo:
  .byte <(slide_a_oam + 6), <(slide_a_oam + 12), <(slide_a_oam + 11), <(slide_a_oam + 10), <(slide_a_oam + 9), <(slide_a_oam + 8), <(slide_a_oam + 7)
  .byte <(slide_a_oam + 6), <(slide_a_oam + 5), <(slide_a_oam + 4), <(slide_a_oam + 3), <(slide_a_oam + 2), <(slide_a_oam + 1), <(slide_a_oam + 0)
  .byte <(slide_a_sta + 6), <(slide_a_sta + 12), <(slide_a_sta + 11), <(slide_a_sta + 10), <(slide_a_sta + 9), <(slide_a_sta + 8), <(slide_a_sta + 7)
  .byte <(slide_a_sta + 6), <(slide_a_sta + 5), <(slide_a_sta + 4), <(slide_a_sta + 3), <(slide_a_sta + 2), <(slide_a_sta + 1), <(slide_a_sta + 0)
run_a_hi:
  .byte >(slide_a_oam + 6), >(slide_a_oam + 12), >(slide_a_oam + 11), >(slide_a_oam + 10), >(slide_a_oam + 9), >(slide_a_oam + 8), >(slide_a_oam + 7)
  .byte >(slide_a_oam + 6), >(slide_a_oam + 5), >(slide_a_oam + 4), >(slide_a_oam + 3), >(slide_a_oam + 2), >(slide_a_oam + 1), >(slide_a_oam + 0)
  .byte >(slide_a_sta + 6), >(slide_a_sta + 12), >(slide_a_sta + 11), >(slide_a_sta + 10), >(slide_a_sta + 9), >(slide_a_sta + 8), >(slide_a_sta + 7)
  .byte >(slide_a_sta + 6), >(slide_a_sta + 5), >(slide_a_sta + 4), >(slide_a_sta + 3), >(slide_a_sta + 2), >(slide_a_sta + 1), >(slide_a_sta + 0)
run_b_lo:
  .byte <(slide_b + 6), <(slide_b + 0), <(slide_b + 1), <(slide_b + 2), <(slide_b + 3), <(slide_b + 4), <(slide_b + 5)
  .byte <(slide_b + 6), <(slide_b + 7), <(slide_b + 8), <(slide_b + 9), <(slide_b + 10), <(slide_b + 11), <(slide_b + 12)
  .byte <(slide_b + 6), <(slide_b + 0), <(slide_b + 1), <(slide_b + 2), <(slide_b + 3), <(slide_b + 4), <(slide_b + 5)
  .byte <(slide_b + 6), <(slide_b + 7), <(slide_b + 8), <(slide_b + 9), <(slide_b + 10), <(slide_b + 11), <(slide_b + 12)
run_b_hi:
  .byte >(slide_b + 6), >(slide_b + 0), >(slide_b + 1), >(slide_b + 2), >(slide_b + 3), >(slide_b + 4), >(slide_b + 5)
  .byte >(slide_b + 6), >(slide_b + 7), >(slide_b + 8), >(slide_b + 9), >(slide_b + 10), >(slide_b + 11), >(slide_b + 12)
  .byte >(slide_b + 6), >(slide_b + 0), >(slide_b + 1), >(slide_b + 2), >(slide_b + 3), >(slide_b + 4), >(slide_b + 5)
  .byte >(slide_b + 6), >(slide_b + 7), >(slide_b + 8), >(slide_b + 9), >(slide_b + 10), >(slide_b + 11), >(slide_b + 12)
run_arm:
  .byte $00, $10, $10, $10, $10, $10, $10
  .byte $10, $10, $10, $10, $10, $10, $10
  .byte $00, $10, $10, $10, $10, $10, $10
  .byte $10, $10, $10, $10, $10, $10, $10
