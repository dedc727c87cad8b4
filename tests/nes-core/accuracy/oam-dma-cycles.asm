; OAM DMA's length by get/put alignment (NESdev wiki, "DMA"): the CPU's cycles alternate between
; get cycles (the first half of an APU cycle) and put cycles (the second half). A $4014 write
; makes the DMA halt the CPU on the next cycle, add an alignment cycle if the cycle after the halt
; is a put, then get and put 256 times: 513 cycles after a write on a get cycle, 514 after a write
; on a put cycle. Its last cycle is a put, so the cycle after an OAM DMA is a get: code that
; follows one has a known alignment.
;
; Method: each measurement starts with an OAM DMA (the alignment), restarts the frame counter
; ($4017 = $00, 4-step mode, frame IRQ on: its flag rises a fixed time later) on a known cycle,
; waits a fixed number of cycles, then runs one variant: `STA $4014` with its write on a get cycle
; (NOP before it) or on a put cycle (BIT zp before it, one cycle more), or the same code with the
; write going to RAM followed by a cycle-counted 513-cycle delay. Then a NOP sled (2 cycles per
; NOP): the IRQ handler reads how many NOPs ran from the pushed return address. Each variant runs
; twice, the second time starting the sled one cycle later (a taken branch to the next
; instruction); the two NOP counts add up to the cycles between the variant and the IRQ plus a
; constant, so the sums of a DMA variant and its delay twin differ by the DMA's length - 513.
; Checks (result code):
;   1  an IRQ did not land inside the sled (the timing is off by far more than a DMA's length)
;   2  the DMA written on a get cycle did not take 513 cycles (RAM $18: the sums' difference)
;   3  the DMA written on a put cycle did not take 514 cycles ($18 + 1; RAM $19)
  .include "shell.asm"

pos      = $10          ; 8 bytes: NOPs run before the IRQ, per run (variant * 2 + offset)
d_get    = $18          ; sum(delay twin) - sum(DMA), write on a get cycle: 0 for 513
d_put    = $19          ; the same, write on a put cycle: 1 for 514
variant  = $1A          ; 2 bytes: the variant measure jumps to
offset   = $1C          ; 1: start the sled one cycle later
run      = $1D

main:
  lda #<irq_handler
  sta irq_ptr
  lda #>irq_handler
  sta irq_ptr+1
  ldy #0
@run:
  sty run
  lda variants_lo,y
  sta variant
  lda variants_hi,y
  sta variant+1
  tya
  and #1
  sta offset
  jsr measure
  ldy run
  sta pos,y
  iny
  cpy #8
  bne @run
  ldy #7                ; 1
@inside:
  lda pos,y
  cmp #8
  bcc @fail1
  cmp #200
  bcs @fail1
  dey
  bpl @inside
  clc                   ; 2
  lda pos+2
  adc pos+3
  sec
  sbc pos
  sec
  sbc pos+1
  sta d_get
  clc
  lda pos+6
  adc pos+7
  sec
  sbc pos+4
  sec
  sbc pos+5
  sta d_put
  lda d_get
  bne @fail2
  lda d_put             ; 3
  cmp #1
  bne @fail3
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

; Runs: DMA written on a get cycle, its delay twin, DMA written on a put cycle, its delay twin;
; each with offset 0 and 1.
variants_lo:
  .byte <dma_get, <dma_get, <delay_get, <delay_get, <dma_put, <dma_put, <delay_put, <delay_put
variants_hi:
  .byte >dma_get, >dma_get, >delay_get, >delay_get, >dma_put, >dma_put, >delay_put, >delay_put

; Returns in A the NOPs of the sled run before the frame IRQ ($FF: the IRQ came outside the
; sled, $FE: it never came). Cycle numbers in the comments count from the last cycle of the
; aligning OAM DMA (a put, cycle 0): odd cycles are gets, even ones puts. Page-aligned: no branch
; below crosses a page.
  .align 256
measure:
  lda #$40
  sta $4017             ; frame IRQ inhibited: its flag clears
  lda #$02
  sta $4014             ; the aligning OAM DMA
  lda #$00              ; 1-2
  sta $4017             ; 3-6: the frame counter restarts, IRQ on
  ldx #22               ; 7-8
  jsr wait_x_1286       ; 9-28,311
  ldx #160              ; 28,312-29,112 with the loop (5 * 160 + 1)
@wait:
  dex
  bne @wait
  cli                   ; 29,113-29,114
  jmp (variant)         ; 29,115-29,119

dma_get:
  nop                   ; 29,120-29,121
  sta $4014             ; 29,122-29,125: the write on a get cycle
  jmp tail
dma_put:
  bit $10               ; 29,120-29,122
  sta $4014             ; 29,123-29,126: the write on a put cycle
  jmp tail
delay_get:
  nop
  sta $0300             ; the same cycles, no DMA
  jsr delay_513
  jmp tail
delay_put:
  bit $10
  sta $0300
  jsr delay_513
  jmp tail

; 513 cycles from the JSR (6) to the RTS (6) included.
delay_513:
  ldx #100              ; 2 + 5 * 100 - 1
@loop:
  dex
  bne @loop
  rts

tail:
  lda offset
  bne @later            ; taken (offset 1): one cycle more
@later:
  jmp sled

irq_handler:
  lda $4015             ; acknowledge the frame IRQ
  pla                   ; P (I stays set)
  pla                   ; PCL: sled is page-aligned, so the NOPs run
  tax
  pla                   ; PCH
  cmp #>sled
  beq @inside
  ldx #$FF
@inside:
  txa
  rts                   ; out of measure

  .align 256
sled:
  .res 200, $EA         ; NOP
  sei
  lda #$FE
  rts
